using System.Net;
using Anysola.Auth.IntegrationTests.Infrastructure;
using Anysola.Auth.Testing;

namespace Anysola.Auth.IntegrationTests;

/// <summary>Logout and server-side revocation, end to end.</summary>
public sealed class RevokeTests
{
    [Fact]
    public async Task LogoutAsync_LoggedIn_RevokesSessionOnServerAndClearsStore()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        using var http = Clients.Http(server);
        var store = new InMemoryTokenStore();
        var manager = new TokenManager(http, store, Clients.Options(server));
        var tokens = await manager.LoginApprovingAsync(server, cts.Token);
        using (var before = await http.GetAgentsWithTokenAsync(tokens.AccessToken, cts.Token))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await manager.LogoutAsync(cts.Token);

        Assert.Null(await store.GetAsync(cts.Token));
        Assert.Null(await manager.GetCurrentTokensAsync(cts.Token));
        Assert.False(server.IsRefreshTokenActive(tokens.RefreshToken!), "the refresh token survived logout");
        Assert.Equal(1, server.CountRequests(AnysolaTestEndpoints.Revoke));
        Assert.Equal(200, server.Journal.Single(e => e.Endpoint == AnysolaTestEndpoints.Revoke).StatusCode);

        using var after = await http.GetAgentsWithTokenAsync(tokens.AccessToken, cts.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Contains(after.Headers.WwwAuthenticate, h => h.Scheme == "Bearer" && h.Parameter!.Contains("invalid_token", StringComparison.Ordinal));
        await Assert.ThrowsAsync<AnysolaLoginRequiredException>(() => manager.GetAccessTokenAsync(cts.Token).AsTask());
    }

    [Fact]
    public async Task RefreshAccessTokenAsync_AfterAdminRevokesAllSessions_ThrowsLoginRequiredAndClearsStore()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        using var http = Clients.Http(server);
        var store = new InMemoryTokenStore();
        var manager = new TokenManager(http, store, Clients.Options(server));
        var tokens = await manager.LoginApprovingAsync(server, cts.Token);

        Assert.True(server.RevokeAllSessions() >= 1, "the admin revoked nothing");
        var error = await Assert.ThrowsAsync<AnysolaLoginRequiredException>(() => manager.RefreshAccessTokenAsync(cancellationToken: cts.Token));

        Assert.Equal(AnysolaAuthErrors.LoginRequired, error.Error);
        Assert.Equal(AnysolaAuthErrors.InvalidGrant, Assert.IsAssignableFrom<AnysolaAuthException>(error.InnerException).Error);
        Assert.Null(await store.GetAsync(cts.Token));
        Assert.False(server.IsRefreshTokenActive(tokens.RefreshToken!), "a revoked refresh token is still active");
        Assert.Equal(1, server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
        await Assert.ThrowsAsync<AnysolaLoginRequiredException>(() => manager.GetAccessTokenAsync(cts.Token).AsTask());
    }

    [Fact]
    public async Task ApiCall_AfterAdminRevokesAllSessions_SurfacesLoginRequiredAfterOneRefreshAttempt()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        using var http = Clients.Http(server);
        var store = new InMemoryTokenStore();
        var options = Clients.Options(server);
        var manager = new TokenManager(http, store, options);
        await manager.LoginApprovingAsync(server, cts.Token);
        using var api = Clients.Api(server, manager, options);

        server.RevokeAllSessions();
        await Assert.ThrowsAsync<AnysolaLoginRequiredException>(() => api.GetAsync("api/agents", cts.Token));

        Assert.Equal(1, server.CountRequests(AnysolaTestEndpoints.Api));
        Assert.Equal(1, server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
        Assert.Null(await store.GetAsync(cts.Token));
    }
}
