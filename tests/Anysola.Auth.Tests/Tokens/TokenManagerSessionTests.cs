using System.Net;

namespace Anysola.Auth.Tests.Tokens;

/// <summary>Logout and userinfo.</summary>
public sealed class TokenManagerSessionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(HttpStatusCode.OK)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    public async Task LogoutAsync_AnyRevocationOutcome_RevokesRefreshTokenAndClearsStore(HttpStatusCode revokeStatus)
    {
        using var host = new TokenTestHost();
        host.Endpoint.RevokeStatus = revokeStatus;
        var initial = host.Endpoint.IssueSession();

        // Tokens left by an earlier process: this manager has not loaded them yet.
        var store = new ControllableTokenStore(initial);
        var manager = host.CreateManager(store);

        await manager.LogoutAsync().WaitAsync(Bound);

        var revoke = Assert.Single(host.Endpoint.RevokeRequests);
        Assert.Equal(initial.RefreshToken, revoke.Token);
        Assert.Equal("refresh_token", revoke.Hint);
        Assert.Null(store.Current);
        Assert.Null(await manager.GetCurrentTokensAsync());
        await Assert.ThrowsAsync<AnysolaLoginRequiredException>(() => manager.GetAccessTokenAsync().AsTask().WaitAsync(Bound));
        Assert.Empty(host.Endpoint.RefreshRequests);
    }

    [Fact]
    public async Task LogoutAsync_CancelledDuringRevocation_StillClearsStoreAndCache()
    {
        using var host = new TokenTestHost();
        var initial = host.Endpoint.IssueSession();
        var store = new ControllableTokenStore(initial);
        var manager = host.CreateManager(store);
        Assert.Equal(initial.AccessToken, await manager.GetAccessTokenAsync());
        host.Endpoint.BeforeRevoke = ct => Task.Delay(Timeout.Infinite, ct);
        using var cts = new CancellationTokenSource();

        var logout = manager.LogoutAsync(cts.Token);
        await host.Endpoint.WaitForRevokeRequestAsync();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => logout.WaitAsync(Bound));
        Assert.Null(store.Current);
        Assert.Null(await manager.GetCurrentTokensAsync());
        await Assert.ThrowsAsync<AnysolaLoginRequiredException>(() => manager.GetAccessTokenAsync().AsTask().WaitAsync(Bound));
    }

    [Fact]
    public async Task LogoutAsync_RotatedPairNotYetSaved_RevokesTheLiveRefreshTokenNotTheDeadStoredOne()
    {
        using var host = new TokenTestHost();
        var initial = host.Endpoint.IssueSession(TimeSpan.FromMinutes(5));
        var store = new ControllableTokenStore(initial) { FailNextSaves = 1 };
        var manager = host.CreateManager(store);
        host.Time.Advance(TimeSpan.FromMinutes(6));

        // The refresh succeeds on the server but the store cannot save it: the manager holds the only live pair.
        var ex = await Assert.ThrowsAsync<AnysolaAuthException>(() => manager.GetAccessTokenAsync().AsTask().WaitAsync(Bound));
        Assert.Equal(AnysolaAuthErrors.TokenStoreError, ex.Error);
        var live = host.Endpoint.IssuedRefreshTokens.Last();
        Assert.NotEqual(initial.RefreshToken, live);
        Assert.True(host.Endpoint.IsRefreshTokenActive(live));

        await manager.LogoutAsync().WaitAsync(Bound);

        // Revoking the stored (already rotated, dead) refresh token would leave the live session running on the server.
        var revoke = Assert.Single(host.Endpoint.RevokeRequests);
        Assert.True(revoke.Token == live, "Logout revoked the dead stored refresh token instead of the live unsaved one.");
        Assert.Null(store.Current);
    }

    [Fact]
    public async Task GetUserInfoAsync_ValidToken_ReturnsTypedFieldsAndRawJson()
    {
        using var host = new TokenTestHost();
        var initial = host.Endpoint.IssueSession();
        var manager = host.CreateManager(new ControllableTokenStore(initial));

        var info = await manager.GetUserInfoAsync().WaitAsync(Bound);

        Assert.Equal("usr_ada", info.Subject);
        Assert.Equal("Ada Lovelace", info.Name);
        Assert.Equal("ada@acme.test", info.Email);
        Assert.Equal("ws_acme", info.WorkspaceId);
        Assert.Equal("Acme Corp", info.WorkspaceName);
        Assert.Equal("admin", info.Role);
        Assert.Equal(["agents:read", "workspace:read"], info.Scopes);
        Assert.Equal(host.Endpoint.UserInfoJson, info.RawJson);
        Assert.Equal([initial.AccessToken], host.Endpoint.UserInfoRequests);
    }

    [Fact]
    public async Task GetUserInfoAsync_AccessTokenRejected_RefreshesOnceAndRetries()
    {
        using var host = new TokenTestHost();
        var initial = host.Endpoint.IssueSession();
        var store = new ControllableTokenStore(initial);
        var manager = host.CreateManager(store);
        host.Endpoint.RevokeAccessToken(initial.AccessToken);

        var info = await manager.GetUserInfoAsync().WaitAsync(Bound);

        Assert.Equal("usr_ada", info.Subject);
        Assert.Single(host.Endpoint.RefreshRequests);
        var fresh = store.Current!.AccessToken;
        Assert.NotEqual(initial.AccessToken, fresh);
        Assert.Equal([initial.AccessToken, fresh], host.Endpoint.UserInfoRequests);
    }

    [Fact]
    public async Task GetUserInfoAsync_RejectedAgainAfterRefresh_FailsWithoutLooping()
    {
        using var host = new TokenTestHost();
        host.Endpoint.RejectAllAccessTokens = true;
        var initial = host.Endpoint.IssueSession();
        var store = new ControllableTokenStore(initial);
        var manager = host.CreateManager(store);

        var ex = await Assert.ThrowsAsync<AnysolaAuthException>(() => manager.GetUserInfoAsync().WaitAsync(Bound));

        Assert.Equal(AnysolaAuthErrors.InvalidToken, ex.Error);
        Assert.Single(host.Endpoint.RefreshRequests);
        Assert.Equal(2, host.Endpoint.UserInfoRequests.Count);
    }
}
