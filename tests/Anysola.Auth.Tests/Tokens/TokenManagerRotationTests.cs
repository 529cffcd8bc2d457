namespace Anysola.Auth.Tests.Tokens;

/// <summary>Rotation: persisted before use, kept when the server omits it, never lost on a store failure; invalid_grant.</summary>
public sealed class TokenManagerRotationTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task GetAccessTokenAsync_SaveOfRotatedPairHeld_NoCallerSeesNewTokenUntilItIsPersisted()
    {
        using var host = new TokenTestHost();
        var initial = host.Endpoint.IssueSession(TimeSpan.FromMinutes(5));
        var store = new ControllableTokenStore(initial);
        var manager = host.CreateManager(store);
        Assert.Equal(initial.AccessToken, await manager.GetAccessTokenAsync());
        host.Time.Advance(TimeSpan.FromMinutes(6));
        var saveGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.SaveGate = saveGate;

        var callers = Enumerable.Range(0, 20).Select(_ => manager.GetAccessTokenAsync().AsTask())
            .Append(manager.RefreshAccessTokenAsync())
            .ToArray();

        // What the store held at the moment each caller received its token.
        var storedWhenSeen = callers
            .Select(c => c.ContinueWith(_ => store.Current?.AccessToken, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default))
            .ToArray();

        await store.SaveEntered.Task.WaitAsync(Bound);
        Assert.Single(host.Endpoint.RefreshRequests);
        Assert.DoesNotContain(callers, c => c.IsCompleted);
        Assert.Equal(initial.AccessToken, (await manager.GetCurrentTokensAsync())?.AccessToken);
        Assert.Equal(initial.AccessToken, store.Current?.AccessToken);

        saveGate.SetResult();
        var tokens = await Task.WhenAll(callers).WaitAsync(Bound);
        var stored = await Task.WhenAll(storedWhenSeen).WaitAsync(Bound);

        var fresh = Assert.Single(tokens.Distinct());
        Assert.NotEqual(initial.AccessToken, fresh);
        Assert.All(stored, s => Assert.Equal(fresh, s));
        Assert.True(host.Endpoint.IsRefreshTokenActive(store.Current!.RefreshToken!));
    }

    [Fact]
    public async Task GetAccessTokenAsync_RefreshResponseWithoutRefreshToken_KeepsTheOldRefreshToken()
    {
        using var host = new TokenTestHost();
        host.Endpoint.OmitRefreshToken = true;
        var initial = host.Endpoint.IssueSession(TimeSpan.FromMinutes(5));
        var store = new ControllableTokenStore(initial);
        var manager = host.CreateManager(store);
        host.Time.Advance(TimeSpan.FromMinutes(6));

        var first = await manager.GetAccessTokenAsync().AsTask().WaitAsync(Bound);

        Assert.NotEqual(initial.AccessToken, first);
        Assert.Equal(first, store.Current?.AccessToken);
        Assert.Equal(initial.RefreshToken, store.Current?.RefreshToken);

        // The kept refresh token is the one used next time.
        host.Time.Advance(TimeSpan.FromHours(2));
        var second = await manager.GetAccessTokenAsync().AsTask().WaitAsync(Bound);
        Assert.NotEqual(first, second);
        Assert.Equal([initial.RefreshToken!, initial.RefreshToken!], host.Endpoint.RefreshRequests);
        Assert.Equal(initial.RefreshToken, store.Current?.RefreshToken);
    }

    [Fact]
    public async Task GetAccessTokenAsync_StoreSaveFails_KeepsNewPairAndSavesItNextCallWithoutSecondRefresh()
    {
        using var host = new TokenTestHost();
        var initial = host.Endpoint.IssueSession(TimeSpan.FromMinutes(5));
        var store = new ControllableTokenStore(initial);
        var manager = host.CreateManager(store);
        Assert.Equal(initial.AccessToken, await manager.GetAccessTokenAsync());
        host.Time.Advance(TimeSpan.FromMinutes(6));
        store.FailNextSaves = 1;

        var ex = await Assert.ThrowsAsync<AnysolaAuthException>(() => manager.GetAccessTokenAsync().AsTask().WaitAsync(Bound));
        Assert.Equal(AnysolaAuthErrors.TokenStoreError, ex.Error);
        Assert.Equal(initial, store.Current);
        Assert.Single(host.Endpoint.RefreshRequests);

        // The server has rotated: the stored refresh token is dead, so the new pair must not have been dropped.
        Assert.False(host.Endpoint.IsRefreshTokenActive(initial.RefreshToken!));
        var token = await manager.GetAccessTokenAsync().AsTask().WaitAsync(Bound);

        Assert.NotEqual(initial.AccessToken, token);
        Assert.Single(host.Endpoint.RefreshRequests);
        Assert.Equal(token, store.Current?.AccessToken);
        Assert.True(host.Endpoint.IsRefreshTokenActive(store.Current!.RefreshToken!));
        Assert.Equal(2, store.SaveCount);
    }

    [Fact]
    public async Task GetAccessTokenAsync_InvalidGrantAndAnotherProcessStoredNewerValidTokens_AdoptsThemWithoutAnotherRequest()
    {
        using var host = new TokenTestHost();

        // A server without reuse detection, so the other process's pair survives our stale request.
        host.Endpoint.RevokeSessionOnReuse = false;
        var initial = host.Endpoint.IssueSession(TimeSpan.FromMinutes(5));
        var store = new ControllableTokenStore(initial);
        var manager = host.CreateManager(store);
        Assert.Equal(initial.AccessToken, await manager.GetAccessTokenAsync());
        host.Time.Advance(TimeSpan.FromMinutes(6));
        TokenSet? other = null;
        host.Endpoint.BeforeRefresh = (refreshToken, _) =>
        {
            // Another process (not honouring our lock) rotates and saves first.
            other ??= host.Endpoint.RotateAsAnotherProcess(refreshToken);
            store.WriteDirectly(other);
            return Task.CompletedTask;
        };

        var token = await manager.GetAccessTokenAsync().AsTask().WaitAsync(Bound);

        Assert.NotNull(other);
        Assert.Equal(other.AccessToken, token);
        Assert.Equal([initial.RefreshToken!], host.Endpoint.RefreshRequests);
        Assert.Equal(["invalid_grant"], host.Endpoint.RefreshOutcomes.Select(o => o == "reuse_detected" ? "invalid_grant" : o));
        Assert.Equal(other, store.Current);
        Assert.Equal(0, host.Endpoint.DeviceRequestCount);
    }

    [Fact]
    public async Task GetAccessTokenAsync_InvalidGrantAndStoreHoldsDifferentRefreshToken_RefreshesWithThatToken()
    {
        using var host = new TokenTestHost();
        host.Endpoint.RevokeSessionOnReuse = false;
        var initial = host.Endpoint.IssueSession(TimeSpan.FromMinutes(5));
        var store = new ControllableTokenStore(initial);
        var manager = host.CreateManager(store);
        Assert.Equal(initial.AccessToken, await manager.GetAccessTokenAsync());
        host.Time.Advance(TimeSpan.FromMinutes(6));
        TokenSet? other = null;
        host.Endpoint.BeforeRefresh = (refreshToken, _) =>
        {
            if (other is null)
            {
                // The other process's access token has already expired: only its refresh token is of use.
                other = host.Endpoint.RotateAsAnotherProcess(refreshToken, lifetime: TimeSpan.Zero);
                store.WriteDirectly(other);
            }

            return Task.CompletedTask;
        };

        var token = await manager.GetAccessTokenAsync().AsTask().WaitAsync(Bound);

        Assert.NotNull(other);
        Assert.Equal([initial.RefreshToken!, other.RefreshToken!], host.Endpoint.RefreshRequests);
        Assert.NotEqual(other.AccessToken, token);
        Assert.Equal(token, store.Current?.AccessToken);
        Assert.True(host.Endpoint.IsRefreshTokenActive(store.Current!.RefreshToken!));
        Assert.Equal(0, host.Endpoint.DeviceRequestCount);
    }

    [Fact]
    public async Task GetAccessTokenAsync_InvalidGrantAndNoOtherTokens_ClearsStoreAndRequiresLoginWithoutDeviceFlow()
    {
        using var host = new TokenTestHost();
        var initial = host.Endpoint.IssueSession(TimeSpan.FromMinutes(5));
        var store = new ControllableTokenStore(initial);
        var manager = host.CreateManager(store);
        Assert.Equal(initial.AccessToken, await manager.GetAccessTokenAsync());
        host.Time.Advance(TimeSpan.FromMinutes(6));

        // Another process rotated the token and died before saving: the stored refresh token is dead.
        host.Endpoint.RotateAsAnotherProcess(initial.RefreshToken!);

        var ex = await Assert.ThrowsAsync<AnysolaLoginRequiredException>(() => manager.GetAccessTokenAsync().AsTask().WaitAsync(Bound));

        Assert.Equal(AnysolaAuthErrors.LoginRequired, ex.Error);
        Assert.Null(store.Current);
        Assert.Single(host.Endpoint.RefreshRequests);
        Assert.Equal(0, host.Endpoint.DeviceRequestCount);
        Assert.All(host.Endpoint.Paths, p => Assert.Equal("/api/oauth/token", p));

        // Signed out now: later calls fail the same way without any request.
        await Assert.ThrowsAsync<AnysolaLoginRequiredException>(() => manager.GetAccessTokenAsync().AsTask().WaitAsync(Bound));
        Assert.Single(host.Endpoint.Paths);
    }
}
