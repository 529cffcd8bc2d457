using System.Net;
using Anysola.Auth.Tests.TestInfrastructure;
using Microsoft.Extensions.Options;

namespace Anysola.Auth.Tests.Protocol;

/// <summary>What a hostile server or a mistaken configuration sends never reaches messages, logs or other hosts.</summary>
public sealed class ResponseSanitizingTests
{
    [Theory]
    [InlineData("bad\ncode")]
    [InlineData("javascript:alert(1)<script>")]
    [InlineData("Human readable text with spaces")]
    public async Task StartAsync_ErrorMemberOnA200IsNotAnOAuthCode_InvalidResponse(string error)
    {
        var body = $$"""{"error":{{System.Text.Json.JsonSerializer.Serialize(error)}}}""";
        using var http = new HttpClient(new FakeHttpMessageHandler(_ => FakeHttpMessageHandler.Json(HttpStatusCode.OK, body)));
        var client = new DeviceAuthorizationClient(http, TestOptions.Create());

        var exception = await Assert.ThrowsAsync<AnysolaAuthException>(() => client.StartAsync());

        Assert.Equal(AnysolaAuthErrors.InvalidResponse, exception.Error);
        Assert.DoesNotContain(error, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_WellFormedErrorCodeOnA200_SurfacesTheCode()
    {
        using var http = new HttpClient(new FakeHttpMessageHandler(_ => FakeHttpMessageHandler.Json(HttpStatusCode.OK, """{"error":"access_denied"}""")));
        var client = new DeviceAuthorizationClient(http, TestOptions.Create());

        var exception = await Assert.ThrowsAsync<AnysolaAuthException>(() => client.StartAsync());

        Assert.Equal(AnysolaAuthErrors.AccessDenied, exception.Error);
    }

    [Theory]
    [InlineData(@"\\evil.example/x")]
    [InlineData(@"/\\evil.example/x")]
    [InlineData("//evil.example/x")]
    [InlineData("https://evil.example/x")]
    public void Constructor_EndpointPathLeavesTheOrigin_FailsValidationNamingTheOption(string path)
    {
        var options = TestOptions.Create(o => o.UserInfoEndpoint = path);

        var exception = Assert.Throws<OptionsValidationException>(() => new DeviceAuthorizationClient(new HttpClient(), options));

        Assert.Contains("UserInfoEndpoint", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitForTokensAsync_AuthorizationWithAnAbsurdInterval_ArgumentError()
    {
        var client = new DeviceAuthorizationClient(new HttpClient(), TestOptions.Create());
        var authorization = new DeviceAuthorization
        {
            DeviceCode = FakeSecrets.DeviceCode(1),
            UserCode = "WDJB-MJHT",
            VerificationUri = new Uri("https://anysola.test/device"),
            ExpiresAt = DateTimeOffset.MaxValue,
            Interval = TimeSpan.MaxValue,
        };

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.WaitForTokensAsync(authorization));
    }
}
