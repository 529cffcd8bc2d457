using NSubstitute;

namespace Anysola.Auth.Tests.Tokens;

/// <summary>One refresh at a time, shared by every caller; refresh-ahead; cancellation and the refresh timeout.</summary>
public sealed class TokenManagerConcurrencyTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task GetAccessTokenAsync_500ConcurrentCallersOnExpiredToken_SendsOneRefreshAndAllGetTheNewToken()
    {
        using var host = new TokenTestHost();
        var initial = host.Endpoint.IssueSession(TimeSpan.FromMinutes(5));
        var store = new ControllableTokenStore(initial);
        var manager = host.CreateManager(store);
        host.Time.Advance(TimeSpan.FromMinutes(6));

        // The refresh is held until every caller has asked, so all 500 really overlap it.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Endpoint.BeforeRefresh = (_, ct) => release.Task.WaitAsync(ct);
        const int Callers = 500;
        var asked = 0;
        var allAsked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            var pending = manager.GetAccessTokenAsync();
            if (Interlocked.Increment(ref asked) == Callers)
            {
                allAsked.SetResult();
            }

            return await pending;
        })).ToArray();

        start.SetResult();
        await allAsked.Task.WaitAsync(Bound);
        await host.Endpoint.WaitForRefreshRequestAsync();
        Assert.DoesNotContain(callers, c => c.IsCompleted);

        release.SetResult();
        var tokens = await Task.WhenAll(callers).WaitAsync(Bound);

        Assert.Single(host.Endpoint.RefreshRequests);
        var fresh = Assert.Single(tokens.Distinct());
        Assert.NotEqual(initial.AccessToken, fresh);
        Assert.Equal(fresh, store.Current?.AccessToken);
        Assert.Equal(1, store.SaveCount);
    }

    [Fact]
    public async Task GetAccessTokenAsync_InsideRefreshAheadWindow_ReturnsCurrentTokenWithoutWaitingThenExpiredCallersAwaitTheSingleRefresh()
    {
        using var host = new TokenTestHost();
        host.Options.RefreshBeforeExpiry = TimeSpan.FromSeconds(60);

        // Long request and refresh timeouts: the held refresh must not time out while the clock moves past expiry.
        host.Options.RequestTimeout = TimeSpan.FromMinutes(10);
        host.Options.RefreshTimeout = TimeSpan.FromMinutes(10);
        var initial = host.Endpoint.IssueSession(TimeSpan.FromMinutes(10));
        var store = new ControllableTokenStore(initial);
        var manager = host.CreateManager(store);
        Assert.Equal(initial.AccessToken, await manager.GetAccessTokenAsync());

        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Endpoint.BeforeRefresh = (_, ct) => release.Task.WaitAsync(ct);
        host.Time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(30));

        var first = manager.GetAccessTokenAsync();
        Assert.True(first.IsCompletedSuccessfully);
        Assert.Equal(initial.AccessToken, await first);

        // The background refresh is now held on the server; callers still get the current token at once.
        await host.Endpoint.WaitForRefreshRequestAsync();
        for (var i = 0; i < 50; i++)
        {
            var call = manager.GetAccessTokenAsync();
            Assert.True(call.IsCompletedSuccessfully, "A caller inside the refresh-ahead window waited for the refresh.");
            Assert.Equal(initial.AccessToken, await call);
        }

        // Once the token has expired, callers wait for the refresh already in flight.
        host.Time.Advance(TimeSpan.FromSeconds(31));
        var waiting = Enumerable.Range(0, 10).Select(_ => manager.GetAccessTokenAsync().AsTask()).ToArray();
        Assert.DoesNotContain(waiting, w => w.IsCompleted);

        release.SetResult();
        var tokens = await Task.WhenAll(waiting).WaitAsync(Bound);

        var fresh = Assert.Single(tokens.Distinct());
        Assert.NotEqual(initial.AccessToken, fresh);
        Assert.Single(host.Endpoint.RefreshRequests);
        Assert.Equal(fresh, store.Current?.AccessToken);
    }

    [Fact]
    public async Task GetAccessTokenAsync_CachedTokenOutsideWindow_NeverTouchesStoreOrNetwork()
    {
        using var host = new TokenTestHost();
        var initial = host.Endpoint.IssueSession(TimeSpan.FromHours(1));
        var store = Substitute.For<ITokenStore>();
        store.GetAsync(Arg.Any<CancellationToken>()).Returns(_ => new ValueTask<TokenSet?>(initial));
        var manager = host.CreateManager(store);

        Assert.Equal(initial.AccessToken, await manager.GetAccessTokenAsync());
        await store.Received(1).GetAsync(Arg.Any<CancellationToken>());
        store.ClearReceivedCalls();

        for (var i = 0; i < 1000; i++)
        {
            var call = manager.GetAccessTokenAsync();
            Assert.True(call.IsCompletedSuccessfully);
            Assert.Equal(initial.AccessToken, await call);
            if (i % 100 == 0)
            {
                // Still outside the 60 s window after 57 minutes.
                host.Time.Advance(TimeSpan.FromMinutes(5.7));
            }
        }

        Assert.Empty(store.ReceivedCalls());
        Assert.Empty(host.Endpoint.Paths);
    }

    [Theory]
    [InlineData(120)]
    [InlineData(600)]
    public async Task GetAccessTokenAsync_WindowAsLongAsLifetime_RefreshesAtHalfTheLifetime(int windowSeconds)
    {
        using var host = new TokenTestHost();
        host.Options.RefreshBeforeExpiry = TimeSpan.FromSeconds(windowSeconds);
        var initial = host.Endpoint.IssueSession(TimeSpan.FromMinutes(2));
        var store = new ControllableTokenStore(initial);
        var manager = host.CreateManager(store);
        Assert.Equal(initial.AccessToken, await manager.GetAccessTokenAsync());

        host.Time.Advance(TimeSpan.FromSeconds(59));
        var early = manager.GetAccessTokenAsync();
        Assert.True(early.IsCompletedSuccessfully);
        Assert.Equal(initial.AccessToken, await early);

        // A probe with an unrelated rejected token joins a background refresh if one was started, and otherwise
        // adopts the stored token without a request: either way it shows whether the call above started one.
        Assert.Equal(initial.AccessToken, await manager.RefreshAccessTokenAsync("ays_oauth_FAKE_unrelated").WaitAsync(Bound));
        Assert.Empty(host.Endpoint.RefreshRequests);

        host.Time.Advance(TimeSpan.FromSeconds(2));
        var inWindow = manager.GetAccessTokenAsync();
        Assert.True(inWindow.IsCompletedSuccessfully);
        Assert.Equal(initial.AccessToken, await inWindow);
        await host.Endpoint.WaitForRefreshRequestAsync();

        var fresh = await manager.RefreshAccessTokenAsync("ays_oauth_FAKE_unrelated").WaitAsync(Bound);
        Assert.NotEqual(initial.AccessToken, fresh);
        Assert.Single(host.Endpoint.RefreshRequests);
    }

    [Fact]
    public async Task GetAccessTokenAsync_OneWaiterCancelled_OthersStillGetTheSharedRefresh()
    {
        using var host = new TokenTestHost();
        var initial = host.Endpoint.IssueSession(TimeSpan.FromMinutes(5));
        var store = new ControllableTokenStore(initial);
        var manager = host.CreateManager(store);
        host.Time.Advance(TimeSpan.FromMinutes(6));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Endpoint.BeforeRefresh = (_, ct) => release.Task.WaitAsync(ct);

        // The cancelled caller is the one that started the refresh.
        using var cts = new CancellationTokenSource();
        var cancelled = manager.GetAccessTokenAsync(cts.Token).AsTask();
        using var otherCts = new CancellationTokenSource();
        var others = new[]
        {
            manager.GetAccessTokenAsync().AsTask(),
            manager.GetAccessTokenAsync(otherCts.Token).AsTask(),
            manager.RefreshAccessTokenAsync(initial.AccessToken, otherCts.Token),
        };
        await host.Endpoint.WaitForRefreshRequestAsync();

        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Bound));
        Assert.DoesNotContain(others, o => o.IsCompleted);

        release.SetResult();
        var tokens = await Task.WhenAll(others).WaitAsync(Bound);

        var fresh = Assert.Single(tokens.Distinct());
        Assert.NotEqual(initial.AccessToken, fresh);
        Assert.Single(host.Endpoint.RefreshRequests);
        Assert.Equal(fresh, store.Current?.AccessToken);
        Assert.Equal(fresh, await manager.GetAccessTokenAsync());
    }

    [Fact]
    public async Task GetAccessTokenAsync_RefreshStuckOnNetwork_FailsWithRequestTimeoutAfterRefreshTimeout()
    {
        using var host = new TokenTestHost();

        // Only the refresh timeout can end the stuck request.
        host.Options.RequestTimeout = TimeSpan.FromMinutes(10);
        host.Options.RefreshTimeout = TimeSpan.FromSeconds(60);
        var initial = host.Endpoint.IssueSession(TimeSpan.FromMinutes(5));
        var store = new ControllableTokenStore(initial);
        var manager = host.CreateManager(store);
        host.Time.Advance(TimeSpan.FromMinutes(6));
        host.Endpoint.BeforeRefresh = (_, ct) => Task.Delay(Timeout.Infinite, ct);

        var call = manager.GetAccessTokenAsync().AsTask();
        await host.Endpoint.WaitForRefreshRequestAsync();
        host.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(call.IsCompleted);
        host.Time.Advance(TimeSpan.FromSeconds(2));

        var ex = await Assert.ThrowsAsync<AnysolaAuthException>(() => call.WaitAsync(Bound));
        Assert.Equal(AnysolaAuthErrors.RequestTimeout, ex.Error);
        Assert.True(ex.IsTransient);
        Assert.Equal(initial, store.Current);

        // The server never acted on the stuck request, so the stored refresh token still works.
        host.Endpoint.BeforeRefresh = null;
        var fresh = await manager.GetAccessTokenAsync().AsTask().WaitAsync(Bound);
        Assert.NotEqual(initial.AccessToken, fresh);
        Assert.Equal(2, host.Endpoint.RefreshRequests.Count);
    }
}
