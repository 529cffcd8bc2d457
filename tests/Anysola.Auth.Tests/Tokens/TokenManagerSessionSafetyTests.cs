using System.Net;
using System.Net.Http.Headers;
using Anysola.Auth.Tests.TestInfrastructure;

namespace Anysola.Auth.Tests.Tokens;

/// <summary>Sessions survive failing custom stores, overlapping logouts, rate limits and process exit.</summary>
public sealed class TokenManagerSessionSafetyTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task GetAccessTokenAsync_CustomStoreSaveThrowsIOException_TypedErrorAndRotatedPairKept()
    {
        using var host = new TokenTestHost();
        var session = host.Endpoint.IssueSession(TimeSpan.FromMinutes(5));
        var store = new FlakyStore(session) { FailNextSave = true };
        var manager = host.CreateManager(store);
        host.Time.Advance(TimeSpan.FromMinutes(6));

        var error = await Assert.ThrowsAsync<AnysolaAuthException>(() => manager.GetAccessTokenAsync().AsTask());
        Assert.Equal(AnysolaAuthErrors.TokenStoreError, error.Error);
        Assert.IsType<IOException>(error.InnerException);

        var token = await manager.GetAccessTokenAsync();

        // The dead refresh token was never sent again: one refresh, and the rotated pair reached the store.
        Assert.Single(host.Endpoint.RefreshRequests);
        Assert.Equal(token, (await store.GetAsync())!.AccessToken);
        Assert.True(host.Endpoint.IsRefreshTokenActive((await store.GetAsync())!.RefreshToken!));
    }

    [Fact]
    public async Task LogoutAsync_WhileAFlightIsReadingTheStore_DoesNotBringTheSessionBack()
    {
        using var host = new TokenTestHost();
        var store = new FlakyStore(host.Endpoint.IssueSession()) { HoldFirstRead = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        var manager = host.CreateManager(store);

        var firstCall = manager.GetAccessTokenAsync().AsTask();
        await store.FirstReadEntered.Task.WaitAsync(Bound);
        await manager.LogoutAsync();
        store.HoldFirstRead.SetResult();
        await firstCall.WaitAsync(Bound); // began before the logout: it may still get the old token

        await Assert.ThrowsAsync<AnysolaLoginRequiredException>(() => manager.GetAccessTokenAsync().AsTask());
        Assert.Null(await manager.GetCurrentTokensAsync());
    }

    [Fact]
    public async Task GetAccessTokenAsync_RefreshAnswered429WithLongRetryAfter_FailsFastUntilThen()
    {
        using var host = new TokenTestHost();
        var refreshes = 0;
        using var http = new HttpClient(new FakeHttpMessageHandler(_ =>
        {
            Interlocked.Increment(ref refreshes);
            var response = FakeHttpMessageHandler.Json((HttpStatusCode)429, """{"error":"rate_limited"}""");
            response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(600));
            return response;
        }));
        var expired = new TokenSet { AccessToken = "ays_oauth_FAKE_old", RefreshToken = "ays_refresh_FAKE_old", ExpiresAt = host.Time.GetUtcNow().AddMinutes(-1) };
        var manager = new TokenManager(http, new InMemoryTokenStore(expired), host.Options, host.Time);

        var first = await Assert.ThrowsAsync<AnysolaAuthException>(() => manager.GetAccessTokenAsync().AsTask());
        var second = await Assert.ThrowsAsync<AnysolaAuthException>(() => manager.GetAccessTokenAsync().AsTask());
        Assert.Equal(TimeSpan.FromSeconds(600), first.RetryAfter);
        Assert.Same(first, second);
        Assert.Equal(1, refreshes);

        host.Time.Advance(TimeSpan.FromSeconds(601));
        await Assert.ThrowsAsync<AnysolaAuthException>(() => manager.GetAccessTokenAsync().AsTask());
        Assert.Equal(2, refreshes);
    }

    [Fact]
    public async Task GetAccessTokenAsync_TokenWithoutRefreshTokenInsideWindow_UsedUntilExpiryWithoutRefreshAttempts()
    {
        using var host = new TokenTestHost();
        var tokens = new TokenSet { AccessToken = "ays_oauth_FAKE_only", ExpiresAt = host.Time.GetUtcNow().AddSeconds(30) };
        var store = new ControllableTokenStore(tokens);
        var manager = host.CreateManager(store);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("ays_oauth_FAKE_only", await manager.GetAccessTokenAsync());
        }

        await manager.DisposeAsync(); // lets any background work finish before counting
        Assert.Equal(1, store.GetCount);
        Assert.Empty(host.Endpoint.Paths);
    }

    [Fact]
    public async Task DisposeAsync_RefreshInFlight_WaitsUntilItsTokensAreSaved()
    {
        using var host = new TokenTestHost();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Endpoint.BeforeRefresh = (_, cancellationToken) => gate.Task.WaitAsync(cancellationToken);
        var store = new InMemoryTokenStore(host.Endpoint.IssueSession(TimeSpan.FromMinutes(5)));
        var manager = host.CreateManager(store);
        host.Time.Advance(TimeSpan.FromMinutes(6));

        var call = manager.GetAccessTokenAsync().AsTask();
        await host.Endpoint.WaitForRefreshRequestAsync();
        var disposal = manager.DisposeAsync().AsTask();
        Assert.False(disposal.IsCompleted);

        gate.SetResult();
        await disposal.WaitAsync(Bound);

        Assert.Equal(await call, (await store.GetAsync())!.AccessToken);
    }

    [Fact]
    public async Task GetAccessTokenAsync_LongWaitForTheStoreLock_DoesNotCutTheRefreshShort()
    {
        using var host = new TokenTestHost();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Endpoint.BeforeRefresh = (_, cancellationToken) => gate.Task.WaitAsync(cancellationToken);
        var store = new LockWatchingStore(host.Endpoint.IssueSession(TimeSpan.FromMinutes(5)));
        var manager = host.CreateManager(store);
        host.Time.Advance(TimeSpan.FromMinutes(6));

        // Another holder keeps the store's lock for 50 of the 60 seconds the refresh may wait for it.
        var otherHolder = await store.AcquireLockAsync();
        var call = manager.GetAccessTokenAsync().AsTask();
        await store.SecondLockRequested.Task.WaitAsync(Bound);
        host.Time.Advance(TimeSpan.FromSeconds(50));
        await otherHolder.DisposeAsync();

        // The refresh then runs for 20 more seconds: past 60 s since the start, well within its own deadline.
        await host.Endpoint.WaitForRefreshRequestAsync();
        host.Time.Advance(TimeSpan.FromSeconds(20));
        gate.SetResult();

        var token = await call.WaitAsync(Bound);
        Assert.Equal((await store.GetAsync())!.AccessToken, token);
        Assert.Single(host.Endpoint.RefreshRequests);
    }

    /// <summary>An in-memory store that signals when a second party starts waiting for its lock.</summary>
    private sealed class LockWatchingStore(TokenSet initial) : ILockingTokenStore
    {
        private readonly InMemoryTokenStore _inner = new(initial);
        private int _lockRequests;

        public TaskCompletionSource SecondLockRequested { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<TokenSet?> GetAsync(CancellationToken cancellationToken = default) => _inner.GetAsync(cancellationToken);

        public ValueTask SaveAsync(TokenSet tokens, CancellationToken cancellationToken = default) => _inner.SaveAsync(tokens, cancellationToken);

        public ValueTask ClearAsync(CancellationToken cancellationToken = default) => _inner.ClearAsync(cancellationToken);

        public ValueTask<IAsyncDisposable> AcquireLockAsync(CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _lockRequests) == 2)
            {
                SecondLockRequested.SetResult();
            }

            return _inner.AcquireLockAsync(cancellationToken);
        }
    }

    /// <summary>An app's own store (no lock): its first save can fail with an IOException, its first read can be held.</summary>
    private sealed class FlakyStore(TokenSet initial) : ITokenStore
    {
        private readonly InMemoryTokenStore _inner = new(initial);
        private int _reads;

        public bool FailNextSave { get; set; }

        public TaskCompletionSource? HoldFirstRead { get; init; }

        public TaskCompletionSource FirstReadEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask<TokenSet?> GetAsync(CancellationToken cancellationToken = default)
        {
            var tokens = await _inner.GetAsync(cancellationToken);
            if (Interlocked.Increment(ref _reads) == 1 && HoldFirstRead is { } hold)
            {
                FirstReadEntered.SetResult();
                await hold.Task.WaitAsync(cancellationToken);
            }

            return tokens;
        }

        public ValueTask SaveAsync(TokenSet tokens, CancellationToken cancellationToken = default)
        {
            if (FailNextSave)
            {
                FailNextSave = false;
                throw new IOException("Simulated: no space left on device.");
            }

            return _inner.SaveAsync(tokens, cancellationToken);
        }

        public ValueTask ClearAsync(CancellationToken cancellationToken = default) => _inner.ClearAsync(cancellationToken);
    }
}
