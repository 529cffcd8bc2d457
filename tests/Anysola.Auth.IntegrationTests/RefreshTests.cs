using System.Net;
using Anysola.Auth.IntegrationTests.Infrastructure;
using Anysola.Auth.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Anysola.Auth.IntegrationTests;

/// <summary>
/// Refresh and strict rotation over real HTTP. Expiry is reached by moving a clock the server and the refreshing
/// client share, instead of sleeping; the login itself runs on the real clock.
/// </summary>
public sealed class RefreshTests
{
    private static readonly TimeSpan ShortLifetime = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task GetAccessTokenAsync_AfterExpiry_RefreshesAndRotatesRefreshToken()
    {
        using var cts = TestTimeouts.Create();
        await using var setup = await LoggedInAsync(cts.Token);
        var before = setup.Tokens;

        setup.Clock.Advance(ShortLifetime + TimeSpan.FromSeconds(1));
        var token = await setup.Manager.GetAccessTokenAsync(cts.Token);

        TokenAssert.IsAccessToken(token);
        TokenAssert.Different(before.AccessToken, token, "access token");
        var stored = await setup.Store.GetAsync(cts.Token);
        Assert.NotNull(stored);
        TokenAssert.Same(token, stored.AccessToken, "access token");
        TokenAssert.IsRefreshToken(stored.RefreshToken);
        TokenAssert.Different(before.RefreshToken, stored.RefreshToken, "refresh token");
        Assert.False(setup.Server.IsRefreshTokenActive(before.RefreshToken!), "the rotated-out refresh token must be dead");
        Assert.True(setup.Server.IsRefreshTokenActive(stored.RefreshToken!), "the new refresh token must be active");
        Assert.Equal(1, setup.Server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
        Assert.Equal(setup.Clock.GetUtcNow() + ShortLifetime, stored.ExpiresAt);

        // The server agrees: the expired token is refused, the new one accepted.
        using var oldResponse = await setup.Http.GetAgentsWithTokenAsync(before.AccessToken, cts.Token);
        using var newResponse = await setup.Http.GetAgentsWithTokenAsync(token, cts.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, oldResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, newResponse.StatusCode);
    }

    [Fact]
    public async Task GetAccessTokenAsync_BeforeExpiry_ReturnsCachedTokenWithoutRefreshing()
    {
        using var cts = TestTimeouts.Create();
        await using var setup = await LoggedInAsync(cts.Token);

        setup.Clock.Advance(ShortLifetime / 4);
        var token = await setup.Manager.GetAccessTokenAsync(cts.Token);

        TokenAssert.Same(setup.Tokens.AccessToken, token, "access token");
        Assert.Equal(0, setup.Server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
    }

    [Fact]
    public async Task GetAccessTokenAsync_ManyConcurrentCallersAfterExpiry_ShareOneRefreshRequest()
    {
        using var cts = TestTimeouts.Create();
        await using var setup = await LoggedInAsync(cts.Token);

        setup.Clock.Advance(ShortLifetime + TimeSpan.FromSeconds(1));
        // Released together, without blocking pool threads: each continuation runs on the pool at once.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = Enumerable.Range(0, 32)
            .Select(_ => Task.Run(async () =>
            {
                await gate.Task;
                return await setup.Manager.GetAccessTokenAsync(cts.Token);
            }))
            .ToArray();
        gate.SetResult();
        var tokens = await Task.WhenAll(callers).WaitAsync(cts.Token);

        Assert.True(tokens.Distinct().Count() == 1, $"callers got {tokens.Distinct().Count()} different access tokens");
        TokenAssert.Different(setup.Tokens.AccessToken, tokens[0], "access token");
        Assert.Equal(1, setup.Server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
        Assert.Equal(["issued"], setup.Server.Journal
            .Where(e => e.Endpoint == AnysolaTestEndpoints.Token && e.GrantType == "refresh_token")
            .Select(e => e.Outcome));
    }

    [Fact]
    public async Task RefreshAccessTokenAsync_Twice_EachRotationKillsThePreviousRefreshToken()
    {
        using var cts = TestTimeouts.Create();
        await using var setup = await LoggedInAsync(cts.Token);
        var seen = new List<string> { setup.Tokens.RefreshToken! };

        for (var i = 0; i < 2; i++)
        {
            await setup.Manager.RefreshAccessTokenAsync(cancellationToken: cts.Token);
            seen.Add((await setup.Store.GetAsync(cts.Token))!.RefreshToken!);
        }

        Assert.Equal(3, seen.Distinct().Count());
        Assert.False(setup.Server.IsRefreshTokenActive(seen[0]), "first refresh token still active");
        Assert.False(setup.Server.IsRefreshTokenActive(seen[1]), "second refresh token still active");
        Assert.True(setup.Server.IsRefreshTokenActive(seen[2]), "latest refresh token inactive");
        Assert.Equal(2, setup.Server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
        Assert.DoesNotContain("reuse_detected", setup.Server.Outcomes(AnysolaTestEndpoints.Token));
    }

    /// <summary>
    /// Logs in on the real clock, then hands the stored session to a manager on a fake clock that the server
    /// shares, so a test can move past expiry at once.
    /// </summary>
    private static async Task<Session> LoggedInAsync(CancellationToken cancellationToken)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var server = await Servers.StartAsync(o =>
        {
            o.AccessTokenLifetime = ShortLifetime;
            o.TimeProvider = clock;

            // With a frozen server clock every poll would look too early; this login polls once anyway.
            o.EnforcePollingInterval = false;
        });
        var http = Clients.Http(server);
        var store = new InMemoryTokenStore();
        var options = Clients.Options(server, o => o.RefreshBeforeExpiry = TimeSpan.FromSeconds(5));
        var tokens = await new TokenManager(http, store, options).LoginApprovingAsync(server, cancellationToken);

        // Catch the shared clock up with the real one the login ran on, so "lifetime + 1 s" is past the stored expiry.
        clock.SetUtcNow(DateTimeOffset.UtcNow);
        var manager = new TokenManager(http, store, options, clock);
        return new Session(server, http, store, manager, clock, tokens);
    }

    private sealed record Session(AnysolaTestServer Server, HttpClient Http, InMemoryTokenStore Store, TokenManager Manager, FakeTimeProvider Clock, TokenSet Tokens) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Server.DisposeAsync();
        }
    }
}
