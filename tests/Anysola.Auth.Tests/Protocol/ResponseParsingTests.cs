using System.Net;
using Anysola.Auth.Tests.TestInfrastructure;

namespace Anysola.Auth.Tests.Protocol;

/// <summary>Tolerant where it is safe: numbers sent as strings, unknown fields, optional members; and bounded in time.</summary>
public sealed class ResponseParsingTests
{
    private readonly ObservableTimeProvider _time = new();

    [Fact]
    public async Task StartAsync_NumbersAsStringsAndUnknownFields_AreAccepted()
    {
        var handler = new ScriptedHandler(_ => OAuthResponses.Json(HttpStatusCode.OK, """
            {"device_code":"FAKE-DEVICE-1-d5Tn61vB","user_code":"WDJB-MJHT","verification_uri":"https://anysola.test/device",
             "verification_uri_complete":"https://anysola.test/device?user_code=WDJB-MJHT","expires_in":"900","interval":"7",
             "unknown":{"nested":[1,2,{"x":null}]},"another_unknown":true,"message":"hello"}
            """));
        var client = new DeviceAuthorizationClient(new HttpClient(handler), TestOptions.Create(), _time);

        var authorization = await client.StartAsync();

        Assert.Equal(FakeSecrets.DeviceCode(1), authorization.DeviceCode);
        Assert.Equal(FakeSecrets.UserCode, authorization.UserCode);
        Assert.Equal(TimeSpan.FromSeconds(7), authorization.Interval);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(900), authorization.ExpiresAt);
        Assert.Equal(new Uri("https://anysola.test/device?user_code=WDJB-MJHT"), authorization.VerificationUriComplete);
    }

    [Fact]
    public async Task StartAsync_OnlyVerificationUriComplete_DerivesTheVerificationUri()
    {
        var handler = new ScriptedHandler(_ => OAuthResponses.Json(HttpStatusCode.OK,
            """{"device_code":"FAKE-DEVICE-1-d5Tn61vB","user_code":"WDJB-MJHT","verification_uri_complete":"https://anysola.test/device?user_code=WDJB-MJHT"}"""));
        var client = new DeviceAuthorizationClient(new HttpClient(handler), TestOptions.Create(o => o.MaxDeviceCodeLifetime = TimeSpan.FromMinutes(10)), _time);

        var authorization = await client.StartAsync();

        Assert.Equal(new Uri("https://anysola.test/device"), authorization.VerificationUri);
        Assert.Equal(TimeSpan.FromSeconds(5), authorization.Interval); // RFC 8628 default
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(10), authorization.ExpiresAt); // no expires_in: the configured cap
    }

    [Fact]
    public async Task StartAsync_ExpiresInBeyondTheCap_IsCapped()
    {
        var handler = new ScriptedHandler(_ => OAuthResponses.Device(FakeSecrets.DeviceCode(1), expiresIn: 86_400));
        var client = new DeviceAuthorizationClient(new HttpClient(handler), TestOptions.Create(o => o.MaxDeviceCodeLifetime = TimeSpan.FromMinutes(30)), _time);

        var authorization = await client.StartAsync();

        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(30), authorization.ExpiresAt);
    }

    [Fact]
    public async Task Refresh_NumbersAsStringsAndUnknownFields_AreAccepted()
    {
        var handler = new ScriptedHandler(_ => OAuthResponses.Json(HttpStatusCode.OK, $$"""
            {"access_token":"{{FakeSecrets.Access(2)}}","refresh_token":"{{FakeSecrets.Refresh(2)}}","token_type":"bearer",
             "expires_in":"1800","scope":"agents:read workspace:read","id_token_hint":{"a":1},"extra":[true]}
            """));
        var store = new InMemoryTokenStore(FakeTokenSets.Expired(_time));
        var manager = new TokenManager(new HttpClient(handler), store, TestOptions.Create(), _time);

        Assert.Equal(FakeSecrets.Access(2), await manager.GetAccessTokenAsync());

        var saved = (await store.GetAsync())!;
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(1800), saved.ExpiresAt);
        Assert.Equal(["agents:read", "workspace:read"], saved.Scopes);
        Assert.Equal("Bearer", saved.TokenType);
    }

    [Fact]
    public async Task Refresh_ResponseWithoutRefreshToken_KeepsTheCurrentOne()
    {
        var handler = new ScriptedHandler(_ => OAuthResponses.Json(HttpStatusCode.OK, $$"""{"access_token":"{{FakeSecrets.Access(2)}}","expires_in":3600}"""));
        var store = new InMemoryTokenStore(FakeTokenSets.Expired(_time));
        var manager = new TokenManager(new HttpClient(handler), store, TestOptions.Create(), _time);

        await manager.GetAccessTokenAsync();

        Assert.Equal(FakeSecrets.Refresh(1), (await store.GetAsync())!.RefreshToken);
    }

    [Fact]
    public async Task StartAsync_ServerNeverAnswers_FailsWithRequestTimeout()
    {
        var handler = new ScriptedHandler(async (_, cancellationToken) =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        var client = new DeviceAuthorizationClient(new HttpClient(handler), TestOptions.Create(), _time);

        var task = client.StartAsync();
        await _time.WaitForTimerAsync(d => d == TestOptions.RequestTimeout);
        _time.Advance(TestOptions.RequestTimeout);

        var error = await Assert.ThrowsAsync<AnysolaAuthException>(() => task.WaitAsync(ObservableTimeProvider.HangGuard));
        Assert.Equal(AnysolaAuthErrors.RequestTimeout, error.Error);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task StartAsync_BodyStallsAfterHeaders_FailsWithRequestTimeout()
    {
        var handler = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new StallingStream()) });
        var client = new DeviceAuthorizationClient(new HttpClient(handler), TestOptions.Create(), _time);

        var task = client.StartAsync();
        await _time.WaitForTimerAsync(d => d == TestOptions.RequestTimeout);
        await handler.WaitForRequestsAsync(1);
        _time.Advance(TestOptions.RequestTimeout);

        var error = await Assert.ThrowsAsync<AnysolaAuthException>(() => task.WaitAsync(ObservableTimeProvider.HangGuard));
        Assert.Equal(AnysolaAuthErrors.RequestTimeout, error.Error);
    }
}
