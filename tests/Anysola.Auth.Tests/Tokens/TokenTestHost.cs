using Microsoft.Extensions.Time.Testing;

namespace Anysola.Auth.Tests.Tokens;

/// <summary>A fake clock, a strict-rotation endpoint and the options to build a <see cref="TokenManager"/> on them.</summary>
public sealed class TokenTestHost : IDisposable
{
    public static readonly DateTimeOffset Start = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public TokenTestHost()
    {
        Time = new FakeTimeProvider(Start);
        Endpoint = new StrictRotationTokenEndpoint(Time);
        Http = new HttpClient(Endpoint);
        Options = new AnysolaAuthOptions
        {
            BaseAddress = new Uri("https://anysola.test/"),
            CliLabel = "unit-test",

            // Retries wait on the fake clock; these tests script every response, so a retry would only hang them.
            MaxRetryAttempts = 0,
        };
    }

    public FakeTimeProvider Time { get; }

    public StrictRotationTokenEndpoint Endpoint { get; }

    public HttpClient Http { get; }

    public AnysolaAuthOptions Options { get; }

    public TokenManager CreateManager(ITokenStore store) => new(Http, store, Options, Time);

    public void Dispose() => Http.Dispose();
}

/// <summary>
/// An <see cref="InMemoryTokenStore"/> (with its lock) whose saves can be held on a signal or made to fail,
/// and which records every call.
/// </summary>
public sealed class ControllableTokenStore(TokenSet? initial = null) : ILockingTokenStore
{
    private readonly InMemoryTokenStore _inner = new(initial);
    private int _saves;
    private int _gets;

    /// <summary>When set, SaveAsync signals <see cref="SaveEntered"/> and then waits for this before saving.</summary>
    public TaskCompletionSource? SaveGate { get; set; }

    public TaskCompletionSource SaveEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How many of the next saves fail with token_store_error (as a full disk would).</summary>
    public int FailNextSaves { get; set; }

    public int SaveCount => Volatile.Read(ref _saves);

    public int GetCount => Volatile.Read(ref _gets);

    /// <summary>What the store holds now, bypassing the counters.</summary>
    public TokenSet? Current => _inner.GetAsync().Result;

    /// <summary>Replaces the stored tokens directly, as another process writing the same store would.</summary>
    public void WriteDirectly(TokenSet? tokens)
    {
        if (tokens is null)
        {
            _inner.ClearAsync().AsTask().Wait();
        }
        else
        {
            _inner.SaveAsync(tokens).AsTask().Wait();
        }
    }

    public ValueTask<TokenSet?> GetAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _gets);
        return _inner.GetAsync(cancellationToken);
    }

    public async ValueTask SaveAsync(TokenSet tokens, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _saves);
        if (SaveGate is { } gate)
        {
            SaveEntered.TrySetResult();
            await gate.Task.WaitAsync(cancellationToken);
        }

        if (FailNextSaves > 0)
        {
            FailNextSaves--;
            throw new AnysolaAuthException(AnysolaAuthErrors.TokenStoreError, null, null, "Simulated: the disk is full.");
        }

        await _inner.SaveAsync(tokens, cancellationToken);
    }

    public ValueTask ClearAsync(CancellationToken cancellationToken = default) => _inner.ClearAsync(cancellationToken);

    public ValueTask<IAsyncDisposable> AcquireLockAsync(CancellationToken cancellationToken = default) => _inner.AcquireLockAsync(cancellationToken);
}
