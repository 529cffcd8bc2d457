using System.Text.RegularExpressions;
using Anysola.Auth.IntegrationTests.Infrastructure;
using Anysola.Auth.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Anysola.Auth.IntegrationTests;

/// <summary>The device flow end to end: the SDK against the local server over loopback HTTP.</summary>
public sealed partial class LoginTests
{
    private const string TokenPath = "/api/oauth/token";

    [Theory]
    [InlineData(AnysolaRequestEncoding.Json, "application/json")]
    [InlineData(AnysolaRequestEncoding.Form, "application/x-www-form-urlencoded")]
    public async Task LoginAsync_ApprovedInCallback_StoresPrefixedTokensWithRequestedEncoding(AnysolaRequestEncoding encoding, string expectedContentType)
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        using var http = Clients.Http(server);
        var store = new InMemoryTokenStore();
        var manager = new TokenManager(http, store, Clients.Options(server, o => o.RequestEncoding = encoding));

        var tokens = await manager.LoginApprovingAsync(server, cts.Token);

        TokenAssert.IsAccessToken(tokens.AccessToken);
        TokenAssert.IsRefreshToken(tokens.RefreshToken);
        Assert.Equal("Bearer", tokens.TokenType);
        Assert.True(tokens.ExpiresAt > DateTimeOffset.UtcNow.AddMinutes(50), "a default server issues one-hour access tokens");
        Assert.Equal(Scopes.Sorted(Scopes.Admin), Scopes.Sorted(tokens.Scopes));
        Assert.Equal(tokens, await store.GetAsync(cts.Token));
        TokenAssert.Same(tokens.AccessToken, await manager.GetAccessTokenAsync(cts.Token), "access token");
        Assert.True(server.IsRefreshTokenActive(tokens.RefreshToken!), "the issued refresh token should be active");

        Assert.Equal("issued", server.Outcomes(AnysolaTestEndpoints.Token)[^1]);

        // Refresh and revocation speak the same encoding.
        await manager.RefreshAccessTokenAsync(cancellationToken: cts.Token);
        var refreshed = await store.GetAsync(cts.Token);
        await manager.LogoutAsync(cts.Token);
        Assert.False(server.IsRefreshTokenActive(refreshed!.RefreshToken!), "logout did not revoke the rotated refresh token");
        Assert.Equal(["issued"], server.Journal.Where(e => e.GrantType == "refresh_token").Select(e => e.Outcome));

        var oauthRequests = server.Journal.Where(e => e.Endpoint is AnysolaTestEndpoints.Device or AnysolaTestEndpoints.Token or AnysolaTestEndpoints.Revoke).ToList();
        Assert.Equal(3, oauthRequests.Select(e => e.Endpoint).Distinct().Count());
        Assert.All(oauthRequests, e => Assert.StartsWith(expectedContentType, e.ContentType, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task StartAsync_RealServer_ReturnsUserCodeFromNoLookAlikeAlphabetAndVerificationUris()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        using var http = Clients.Http(server);
        var client = new DeviceAuthorizationClient(http, Clients.Options(server));

        var codes = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var authorization = await client.StartAsync(cts.Token);
            Assert.Matches(UserCodePattern(), authorization.UserCode);
            Assert.Equal(new Uri(server.BaseAddress, "device"), authorization.VerificationUri);
            Assert.Equal(new Uri(server.BaseAddress, "device?user_code=" + authorization.UserCode), authorization.VerificationUriComplete);
            Assert.Equal(Servers.FastPolling, authorization.Interval);
            Assert.InRange(authorization.ExpiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2.1));
            codes.Add(authorization.UserCode);
        }

        Assert.Equal(codes.Count, codes.Distinct().Count());
    }

    [Fact]
    public async Task LoginAsync_PersonDenies_ThrowsAccessDeniedAndStoresNothing()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        using var http = Clients.Http(server);
        var store = new InMemoryTokenStore();
        var manager = new TokenManager(http, store, Clients.Options(server));

        var error = await Assert.ThrowsAsync<AnysolaAuthException>(() =>
            manager.LoginAsync((authorization, ct) => server.DenyAsync(authorization.UserCode, ct), cts.Token));

        Assert.Equal(AnysolaAuthErrors.AccessDenied, error.Error);
        Assert.IsNotType<AnysolaLoginRequiredException>(error);
        Assert.Null(await store.GetAsync(cts.Token));
        Assert.Contains("access_denied", server.Outcomes(AnysolaTestEndpoints.Token));
        Assert.DoesNotContain("issued", server.Outcomes(AnysolaTestEndpoints.Token));
    }

    [Fact]
    public async Task LoginAsync_ServerSaysDeviceCodeExpired_ThrowsExpiredToken()
    {
        using var cts = TestTimeouts.Create();

        // Only the server's clock moves: the client still believes the code is valid and polls, so the error
        // it reports is the one the server sent on the wire.
        var serverClock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await Servers.StartAsync(o =>
        {
            o.TimeProvider = serverClock;
            o.EnforcePollingInterval = false;
        });
        using var http = Clients.Http(server);
        var store = new InMemoryTokenStore();
        var manager = new TokenManager(http, store, Clients.Options(server));

        var error = await Assert.ThrowsAsync<AnysolaAuthException>(() => manager.LoginAsync(
            (authorization, ct) =>
            {
                serverClock.Advance(TimeSpan.FromMinutes(3));
                return Task.CompletedTask;
            },
            cts.Token));

        Assert.Equal(AnysolaAuthErrors.ExpiredToken, error.Error);
        Assert.Equal(["expired_token"], server.Outcomes(AnysolaTestEndpoints.Token));
        Assert.Null(await store.GetAsync(cts.Token));
    }

    [Fact]
    public async Task LoginAsync_DeviceCodeLifetimeRunsOut_ThrowsExpiredToken()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync(o => o.DeviceCodeLifetime = TimeSpan.FromSeconds(1));
        using var http = Clients.Http(server);
        var store = new InMemoryTokenStore();
        var manager = new TokenManager(http, store, Clients.Options(server));

        var error = await Assert.ThrowsAsync<AnysolaAuthException>(() => manager.LoginAsync((_, _) => Task.CompletedTask, cts.Token));

        Assert.Equal(AnysolaAuthErrors.ExpiredToken, error.Error);
        Assert.Null(await store.GetAsync(cts.Token));
        var outcomes = server.Outcomes(AnysolaTestEndpoints.Token);
        Assert.All(outcomes.Take(outcomes.Count - 1), o => Assert.Equal("authorization_pending", o));

        // A poll sent just before the deadline may reach the server just after it.
        if (outcomes.Count > 0)
        {
            Assert.Contains(outcomes[^1], new[] { "authorization_pending", "expired_token" });
        }
    }

    [Fact]
    public async Task LoginAsync_ClockPassesDeadlineWhileWaitingToPoll_ReportsExpiredWithoutPollingAgain()
    {
        // As when a laptop sleeps through the deadline between two polls: on waking, the code has expired, and
        // protocol.md says "never poll past expires_in".
        using var cts = TestTimeouts.Create();
        var interval = TimeSpan.FromSeconds(5);
        await using var server = await Servers.StartAsync(o =>
        {
            o.PollingInterval = interval;
            o.DeviceCodeLifetime = TimeSpan.FromMinutes(1);
        });
        var fake = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var clock = new TimerWatchingTimeProvider(fake, interval);
        using var http = Clients.Http(server);
        var manager = new TokenManager(http, new InMemoryTokenStore(), Clients.Options(server), clock);

        var login = manager.LoginAsync((_, _) => Task.CompletedTask, cts.Token);
        await clock.TimerCreated.WaitAsync(cts.Token);
        fake.Advance(TimeSpan.FromMinutes(2));
        var error = await Assert.ThrowsAsync<AnysolaAuthException>(() => login.WaitAsync(cts.Token));

        Assert.Equal(AnysolaAuthErrors.ExpiredToken, error.Error);
        Assert.Equal(0, server.CountRequests(AnysolaTestEndpoints.Token));
    }

    [Fact]
    public async Task LoginAsync_ServerEnforcesInterval_ClientHonouringItNeverGetsSlowDown()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync(o => o.EnforcePollingInterval = true);
        var observer = new RequestObserver();
        using var http = Clients.Http(server, observer);
        var manager = new TokenManager(http, new InMemoryTokenStore(), Clients.Options(server));
        var userCode = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        var login = manager.LoginAsync(
            (authorization, ct) =>
            {
                userCode.SetResult(authorization.UserCode);
                return Task.CompletedTask;
            },
            cts.Token);

        // Let several polls go unanswered before approving, as a person reading the code would.
        await observer.WhenCount(TokenPath, 6).WaitAsync(cts.Token);
        await server.ApproveAsync(await userCode.Task, cancellationToken: cts.Token);
        var tokens = await login.WaitAsync(cts.Token);

        TokenAssert.IsAccessToken(tokens.AccessToken);
        var outcomes = server.Outcomes(AnysolaTestEndpoints.Token);
        Assert.True(outcomes.Count >= 7, $"expected at least 7 polls, got {outcomes.Count}");
        Assert.DoesNotContain("slow_down", outcomes);
        Assert.Equal("issued", outcomes[^1]);
        Assert.All(outcomes.Take(outcomes.Count - 1), o => Assert.Equal("authorization_pending", o));
    }

    [Fact]
    public async Task TokenEndpoint_PolledFasterThanInterval_AnswersSlowDown()
    {
        // The control for the test above: the server really does enforce the interval, so "no slow_down" means something.
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync(o =>
        {
            o.EnforcePollingInterval = true;
            o.PollingInterval = TimeSpan.FromSeconds(5);
        });
        using var http = Clients.Http(server);
        using var start = await http.PostAsync("api/oauth/device", Json("""{"client_id":"anysola-cli","cli_label":"raw"}"""), cts.Token);
        start.EnsureSuccessStatusCode();
        using var started = System.Text.Json.JsonDocument.Parse(await start.Content.ReadAsStringAsync(cts.Token));
        var deviceCode = started.RootElement.GetProperty("device_code").GetString();
        var poll = $$"""{"client_id":"anysola-cli","grant_type":"urn:ietf:params:oauth:grant-type:device_code","device_code":"{{deviceCode}}"}""";

        using var first = await http.PostAsync("api/oauth/token", Json(poll), cts.Token);
        using var second = await http.PostAsync("api/oauth/token", Json(poll), cts.Token);

        Assert.Equal(400, (int)second.StatusCode);
        Assert.Contains("slow_down", await second.Content.ReadAsStringAsync(cts.Token), StringComparison.Ordinal);
        Assert.Equal("slow_down", server.Outcomes(AnysolaTestEndpoints.Token)[^1]);
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    [GeneratedRegex("^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")]
    private static partial Regex UserCodePattern();
}
