using System.Net;
using Anysola.Auth.Tests.TestInfrastructure;

namespace Anysola.Auth.Tests.Protocol;

/// <summary>What goes on the wire for each endpoint: method, URI, Accept, content type and exactly the documented fields.</summary>
public sealed class AnysolaProtocolClientRequestTests
{
    private const string DeviceGrant = "urn:ietf:params:oauth:grant-type:device_code";
    private readonly ObservableTimeProvider _time = new();
    private readonly ScriptedHandler _handler;

    public AnysolaProtocolClientRequestTests()
    {
        _handler = new ScriptedHandler(request => request.Path.Split('/')[^1] switch
        {
            "device" => OAuthResponses.Device(FakeSecrets.DeviceCode(1)),
            "token" when request.Field("grant_type") == DeviceGrant => OAuthResponses.Tokens(FakeSecrets.Access(1), FakeSecrets.Refresh(1)),
            "token" => OAuthResponses.Tokens(FakeSecrets.Access(2), FakeSecrets.Refresh(2)),
            "revoke" => new HttpResponseMessage(HttpStatusCode.OK),
            "userinfo" => OAuthResponses.UserInfo(),
            _ => new HttpResponseMessage(HttpStatusCode.NotFound),
        });
    }

    [Theory]
    [InlineData(AnysolaRequestEncoding.Json, "application/json")]
    [InlineData(AnysolaRequestEncoding.Form, "application/x-www-form-urlencoded")]
    public async Task EveryOperation_Encoding_SendsTheDocumentedFields(AnysolaRequestEncoding encoding, string mediaType)
    {
        await RunEveryOperationAsync(o =>
        {
            o.RequestEncoding = encoding;
            o.ClientId = "unit-client";
        });

        var requests = _handler.Requests;
        Assert.Equal(5, requests.Count);
        Assert.All(requests, r => Assert.Contains("application/json", r.Accept, StringComparison.Ordinal));

        var device = Single("/api/oauth/device");
        Assert.Equal(HttpMethod.Post, device.Method);
        Assert.Equal(mediaType, device.MediaType);
        Assert.Null(device.Authorization);
        AssertFields(device, ("client_id", "unit-client"), ("cli_label", "unit-test-host"));

        var tokenRequests = requests.Where(r => r.Path == "/api/oauth/token").ToList();
        Assert.Equal(2, tokenRequests.Count);
        Assert.All(tokenRequests, r => Assert.Equal(mediaType, r.MediaType));
        Assert.All(tokenRequests, r => Assert.Null(r.Authorization));
        AssertFields(tokenRequests[0], ("grant_type", DeviceGrant), ("device_code", FakeSecrets.DeviceCode(1)), ("client_id", "unit-client"));
        AssertFields(tokenRequests[1], ("grant_type", "refresh_token"), ("refresh_token", FakeSecrets.Refresh(1)), ("client_id", "unit-client"));

        var userInfo = Single("/api/oauth/userinfo");
        Assert.Equal(HttpMethod.Get, userInfo.Method);
        Assert.Equal($"Bearer {FakeSecrets.Access(2)}", userInfo.Authorization);
        Assert.Null(userInfo.Body);

        var revoke = Single("/api/oauth/revoke");
        Assert.Equal(HttpMethod.Post, revoke.Method);
        Assert.Equal(mediaType, revoke.MediaType);
        AssertFields(revoke, ("token", FakeSecrets.Refresh(2)), ("token_type_hint", "refresh_token"), ("client_id", "unit-client"));
    }

    [Fact]
    public async Task StartAsync_WithScopes_SendsThemSpaceSeparated()
    {
        var client = new DeviceAuthorizationClient(new HttpClient(_handler), TestOptions.Create(o =>
        {
            o.Scopes.Add("agents:read");
            o.Scopes.Add("workspace:read");
        }), _time);

        await client.StartAsync();

        AssertFields(Single("/api/oauth/device"), ("client_id", "anysola-cli"), ("cli_label", "unit-test-host"), ("scope", "agents:read workspace:read"));
    }

    [Fact]
    public async Task StartAsync_NoCliLabel_SendsTheMachineName()
    {
        var client = new DeviceAuthorizationClient(new HttpClient(_handler), TestOptions.Create(o => o.CliLabel = null), _time);

        await client.StartAsync();

        Assert.Equal(Environment.MachineName, Single("/api/oauth/device").Field("cli_label"));
    }

    [Fact]
    public async Task LogoutAsync_NoRefreshToken_RevokesTheAccessToken()
    {
        var store = new InMemoryTokenStore(FakeTokenSets.Valid(_time) with { RefreshToken = null });
        var manager = new TokenManager(new HttpClient(_handler), store, TestOptions.Create(), _time);

        await manager.LogoutAsync();

        AssertFields(Single("/api/oauth/revoke"), ("token", FakeSecrets.Access(1)), ("token_type_hint", "access_token"), ("client_id", "anysola-cli"));
    }

    [Theory]
    [InlineData("https://auth.example.test/tenants/acme", "https://auth.example.test/tenants/acme/")]
    [InlineData("https://auth.example.test/tenants/acme/", "https://auth.example.test/tenants/acme/")]
    [InlineData("https://localhost:8443/", "https://localhost:8443/")]
    [InlineData("http://127.0.0.1:5005/prefix", "http://127.0.0.1:5005/prefix/")]
    public async Task EveryOperation_CustomPathsAndBasePrefix_ResolveUnderTheBase(string baseAddress, string expectedBase)
    {
        await RunEveryOperationAsync(o =>
        {
            o.BaseAddress = new Uri(baseAddress);
            o.DeviceAuthorizationEndpoint = "oauth2/device";
            o.TokenEndpoint = "/oauth2/token";
            o.RevocationEndpoint = "oauth2/v1/revoke";
            o.UserInfoEndpoint = "me/userinfo";
        });

        var uris = _handler.Requests.Select(r => r.Uri.AbsoluteUri).Distinct().ToList();
        Assert.Equal(
            [expectedBase + "oauth2/device", expectedBase + "oauth2/token", expectedBase + "me/userinfo", expectedBase + "oauth2/v1/revoke"],
            uris);
    }

    private async Task RunEveryOperationAsync(Action<AnysolaAuthOptions> configure)
    {
        var options = TestOptions.Create(configure);
        var http = new HttpClient(_handler);
        var deviceClient = new DeviceAuthorizationClient(http, options, _time);
        var authorization = await deviceClient.StartAsync();
        var tokens = await _time.RunAsync(deviceClient.WaitForTokensAsync(authorization));

        // An expired set makes the next token request a refresh grant.
        var store = new InMemoryTokenStore(tokens with { ExpiresAt = _time.GetUtcNow() - TimeSpan.FromSeconds(1) });
        var manager = new TokenManager(http, store, options, _time);
        Assert.Equal(FakeSecrets.Access(2), await manager.GetAccessTokenAsync());
        await manager.GetUserInfoAsync();
        await manager.LogoutAsync();
    }

    private CapturedRequest Single(string path) => Assert.Single(_handler.Requests, r => r.Path == path);

    private static void AssertFields(CapturedRequest request, params (string Name, string Value)[] expected)
    {
        var fields = request.Fields();
        Assert.Equal(expected.Select(e => e.Name).Order(StringComparer.Ordinal), fields.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, value) in expected)
        {
            Assert.Equal(value, fields[name]);
        }
    }
}
