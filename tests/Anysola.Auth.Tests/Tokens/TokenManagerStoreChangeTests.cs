using Anysola.Auth.Stores;

namespace Anysola.Auth.Tests.Tokens;

/// <summary>What another process writes to a shared store reaches a running TokenManager without a refresh.</summary>
public sealed class TokenManagerStoreChangeTests
{
    private static readonly TimeSpan PastCheckInterval = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task GetAccessTokenAsync_AnotherProcessStoresANewerSession_AdoptsItWithoutARefresh()
    {
        using var host = new TokenTestHost();
        var store = new StampedStore(Tokens("ays_oauth_FAKE_old", host.Time.GetUtcNow().AddHours(1)));
        var manager = host.CreateManager(store);
        Assert.Equal("ays_oauth_FAKE_old", await manager.GetAccessTokenAsync());

        await store.SaveAsync(Tokens("ays_oauth_FAKE_new", host.Time.GetUtcNow().AddHours(2)));
        await CheckStoreAsync(host, manager);

        Assert.Equal("ays_oauth_FAKE_new", await manager.GetAccessTokenAsync());
        Assert.Empty(host.Endpoint.Paths);
    }

    [Fact]
    public async Task GetAccessTokenAsync_AnotherProcessLoggedOut_ReportsLoginRequired()
    {
        using var host = new TokenTestHost();
        var store = new StampedStore(Tokens("ays_oauth_FAKE_live", host.Time.GetUtcNow().AddHours(1)));
        var manager = host.CreateManager(store);
        await manager.GetAccessTokenAsync();

        await store.ClearAsync();
        await CheckStoreAsync(host, manager);

        await Assert.ThrowsAsync<AnysolaLoginRequiredException>(() => manager.GetAccessTokenAsync().AsTask());
    }

    [Fact]
    public async Task GetAccessTokenAsync_StoreHoldsAnOlderToken_KeepsTheNewerCachedOne()
    {
        using var host = new TokenTestHost();
        var store = new StampedStore(Tokens("ays_oauth_FAKE_current", host.Time.GetUtcNow().AddHours(1)));
        var manager = host.CreateManager(store);
        await manager.GetAccessTokenAsync();

        await store.SaveAsync(Tokens("ays_oauth_FAKE_older", host.Time.GetUtcNow().AddMinutes(30)));
        await CheckStoreAsync(host, manager);

        Assert.Equal("ays_oauth_FAKE_current", await manager.GetAccessTokenAsync());
    }

    [Fact]
    public async Task GetAccessTokenAsync_StoreUnchanged_ReadsItNoMoreThanOnce()
    {
        using var host = new TokenTestHost();
        var store = new StampedStore(Tokens("ays_oauth_FAKE_steady", host.Time.GetUtcNow().AddHours(1)));
        var manager = host.CreateManager(store);
        await manager.GetAccessTokenAsync();
        var readsAfterLoad = store.Reads;

        for (var i = 0; i < 20; i++)
        {
            await CheckStoreAsync(host, manager);
        }

        // Twenty checks looked at the stamp; only the first, which had no stamp to compare with, read the store.
        Assert.Equal(20, store.StampReads);
        Assert.InRange(store.Reads, readsAfterLoad, readsAfterLoad + 1);
    }

    /// <summary>Moves past the check interval, lets a caller schedule the check, and waits for it to finish.</summary>
    private static async Task CheckStoreAsync(TokenTestHost host, TokenManager manager)
    {
        host.Time.Advance(PastCheckInterval);
        await manager.GetAccessTokenAsync();
        await manager.LastStoreCheck.WaitAsync(Bound);
    }

    private static TokenSet Tokens(string accessToken, DateTimeOffset expiresAt) => new()
    {
        AccessToken = accessToken,
        RefreshToken = accessToken.Replace("oauth", "refresh", StringComparison.Ordinal),
        ExpiresAt = expiresAt,
    };

    /// <summary>An in-memory store with a change stamp, counting reads of both.</summary>
    private sealed class StampedStore(TokenSet initial) : ITokenStore, ITokenStoreChangeStamp
    {
        private readonly InMemoryTokenStore _inner = new(initial);
        private long _version = 1;
        private int _reads;
        private int _stampReads;

        public int Reads => Volatile.Read(ref _reads);

        public int StampReads => Volatile.Read(ref _stampReads);

        public ValueTask<TokenSet?> GetAsync(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _reads);
            return _inner.GetAsync(cancellationToken);
        }

        public async ValueTask SaveAsync(TokenSet tokens, CancellationToken cancellationToken = default)
        {
            await _inner.SaveAsync(tokens, cancellationToken);
            Interlocked.Increment(ref _version);
        }

        public async ValueTask ClearAsync(CancellationToken cancellationToken = default)
        {
            await _inner.ClearAsync(cancellationToken);
            Interlocked.Increment(ref _version);
        }

        public long GetChangeStamp()
        {
            Interlocked.Increment(ref _stampReads);
            return Interlocked.Read(ref _version);
        }
    }
}
