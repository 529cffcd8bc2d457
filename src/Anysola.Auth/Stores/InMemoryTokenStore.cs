namespace Anysola.Auth;

/// <summary>
/// Keeps tokens in this process only; they are gone when it exits. For tests, short-lived tools, and apps that
/// persist tokens elsewhere. Its lock serialises every <see cref="TokenManager"/> in the process that shares it.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "SemaphoreSlim holds no unmanaged resource unless AvailableWaitHandle is used, which it never is here.")]
public sealed class InMemoryTokenStore : ILockingTokenStore, Stores.ITokenStoreChangeStamp
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private volatile TokenSet? _tokens;
    private long _version;

    /// <summary>Creates an empty store.</summary>
    public InMemoryTokenStore()
    {
    }

    /// <summary>Creates a store that starts with <paramref name="tokens"/>.</summary>
    public InMemoryTokenStore(TokenSet? tokens) => _tokens = tokens;

    /// <inheritdoc />
    public ValueTask<TokenSet?> GetAsync(CancellationToken cancellationToken = default) =>
        cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<TokenSet?>(cancellationToken) : new(_tokens);

    /// <inheritdoc />
    public ValueTask SaveAsync(TokenSet tokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        _tokens = tokens;
        Interlocked.Increment(ref _version);
        return default;
    }

    /// <inheritdoc />
    public ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        _tokens = null;
        Interlocked.Increment(ref _version);
        return default;
    }

    long Stores.ITokenStoreChangeStamp.GetChangeStamp() => Interlocked.Read(ref _version);

    /// <inheritdoc />
    public async ValueTask<IAsyncDisposable> AcquireLockAsync(CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Releaser(_lock);
    }

    private sealed class Releaser(SemaphoreSlim semaphore) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }

            return default;
        }
    }
}
