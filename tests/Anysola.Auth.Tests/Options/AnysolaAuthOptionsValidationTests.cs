using Anysola.Auth.Tests.TestInfrastructure;
using Microsoft.Extensions.Options;

namespace Anysola.Auth.Tests.Options;

/// <summary>Options are validated when a component is built, and every failure names the option.</summary>
public sealed class AnysolaAuthOptionsValidationTests
{
    [Theory]
    [InlineData("http://anysola.com/")]
    [InlineData("http://10.0.0.5:8080/")]
    [InlineData("http://localhost.evil.test/")]
    [InlineData("http://127.0.0.1.evil.test/")]
    [InlineData("ftp://anysola.com/")]
    public void Constructor_InsecureBaseAddress_FailsNamingBaseAddress(string address)
    {
        var error = Assert.Throws<OptionsValidationException>(() => CreateClient(o => o.BaseAddress = new Uri(address)));

        Assert.Contains("BaseAddress", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_RelativeBaseAddress_FailsNamingBaseAddress()
    {
        var error = Assert.Throws<OptionsValidationException>(() => CreateClient(o => o.BaseAddress = new Uri("api/", UriKind.Relative)));

        Assert.Contains("BaseAddress", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://localhost/")]
    [InlineData("http://localhost:5000/")]
    [InlineData("http://127.0.0.1:8080/")]
    [InlineData("http://127.0.0.5/")]
    [InlineData("http://[::1]/")]
    [InlineData("http://[::1]:8443/base/")]
    [InlineData("https://anysola.com/")]
    [InlineData("https://staging.anysola.test:8443/prefix")]
    public void Constructor_HttpsOrLoopbackHttp_IsAccepted(string address)
    {
        var client = CreateClient(o => o.BaseAddress = new Uri(address));

        Assert.NotNull(client);
    }

    [Theory]
    [InlineData(nameof(AnysolaAuthOptions.TokenEndpoint), "https://evil.test/token")]
    [InlineData(nameof(AnysolaAuthOptions.TokenEndpoint), "//evil.test/token")]
    [InlineData(nameof(AnysolaAuthOptions.DeviceAuthorizationEndpoint), "")]
    [InlineData(nameof(AnysolaAuthOptions.DeviceAuthorizationEndpoint), "   ")]
    [InlineData(nameof(AnysolaAuthOptions.RevocationEndpoint), "revoke?token=x")]
    [InlineData(nameof(AnysolaAuthOptions.UserInfoEndpoint), "userinfo#fragment")]
    public void Constructor_InvalidEndpointPath_FailsNamingTheEndpoint(string option, string path)
    {
        var error = Assert.Throws<OptionsValidationException>(() => CreateClient(o => typeof(AnysolaAuthOptions).GetProperty(option)!.SetValue(o, path)));

        Assert.Contains(option, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("oauth2/token")]
    [InlineData("/oauth2/token")]
    [InlineData("v1/oauth/token.json")]
    public void Constructor_RelativeEndpointPath_IsAccepted(string path)
    {
        Assert.NotNull(CreateClient(o => o.TokenEndpoint = path));
    }

    [Theory]
    [InlineData(nameof(AnysolaAuthOptions.RefreshBeforeExpiry), -1)]
    [InlineData(nameof(AnysolaAuthOptions.RequestTimeout), 0)]
    [InlineData(nameof(AnysolaAuthOptions.RequestTimeout), -5)]
    [InlineData(nameof(AnysolaAuthOptions.RefreshTimeout), 0)]
    [InlineData(nameof(AnysolaAuthOptions.MaxDeviceCodeLifetime), 0)]
    public void Constructor_InvalidTimeSpan_FailsNamingTheOption(string option, int seconds)
    {
        var error = Assert.Throws<OptionsValidationException>(() =>
            CreateClient(o => typeof(AnysolaAuthOptions).GetProperty(option)!.SetValue(o, TimeSpan.FromSeconds(seconds))));

        Assert.Contains(option, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_ZeroRefreshBeforeExpiry_IsAccepted()
    {
        Assert.NotNull(CreateClient(o => o.RefreshBeforeExpiry = TimeSpan.Zero));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(11)]
    public void Constructor_MaxRetryAttemptsOutOfRange_FailsNamingTheOption(int attempts)
    {
        var error = Assert.Throws<OptionsValidationException>(() => CreateClient(o => o.MaxRetryAttempts = attempts));

        Assert.Contains(nameof(AnysolaAuthOptions.MaxRetryAttempts), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_EmptyClientId_FailsNamingTheOption()
    {
        var error = Assert.Throws<OptionsValidationException>(() => CreateClient(o => o.ClientId = string.Empty));

        Assert.Contains(nameof(AnysolaAuthOptions.ClientId), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_UndefinedEncoding_FailsNamingTheOption()
    {
        var error = Assert.Throws<OptionsValidationException>(() => CreateClient(o => o.RequestEncoding = (AnysolaRequestEncoding)42));

        Assert.Contains(nameof(AnysolaAuthOptions.RequestEncoding), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryPublicConstructor_InvalidOptions_Fails()
    {
        var invalid = TestOptions.Create(o => o.BaseAddress = new Uri("http://anysola.com/"));
        using var http = new HttpClient();

        Assert.Throws<OptionsValidationException>(() => new DeviceAuthorizationClient(http, invalid));
        Assert.Throws<OptionsValidationException>(() => new TokenManager(http, new InMemoryTokenStore(), invalid));
        var manager = new TokenManager(http, new InMemoryTokenStore(), TestOptions.Create());
        Assert.Throws<OptionsValidationException>(() => new AnysolaBearerTokenHandler(manager, invalid));
    }

    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        var options = new AnysolaAuthOptions();

        Assert.Equal(new Uri("https://anysola.com/"), options.BaseAddress);
        Assert.Equal("anysola-cli", options.ClientId);
        Assert.Equal(TimeSpan.FromSeconds(60), options.RefreshBeforeExpiry);
        Assert.Equal(AnysolaRequestEncoding.Json, options.RequestEncoding);
        Assert.Equal("api/oauth/device", options.DeviceAuthorizationEndpoint);
        Assert.Equal("api/oauth/token", options.TokenEndpoint);
        Assert.Equal("api/oauth/revoke", options.RevocationEndpoint);
        Assert.Equal("api/oauth/userinfo", options.UserInfoEndpoint);
        Assert.Equal(TimeSpan.FromSeconds(30), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(60), options.RefreshTimeout);
        Assert.Equal(TimeSpan.FromMinutes(30), options.MaxDeviceCodeLifetime);
        Assert.Equal(3, options.MaxRetryAttempts);
        Assert.Empty(options.Scopes);
        Assert.NotNull(new DeviceAuthorizationClient(new HttpClient(), options));
    }

    private static DeviceAuthorizationClient CreateClient(Action<AnysolaAuthOptions> configure) =>
        new(new HttpClient(), TestOptions.Create(configure));
}
