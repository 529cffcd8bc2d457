using System.Diagnostics;
using Anysola.Auth.Diagnostics;
using Anysola.Auth.Protocol;
using Anysola.Auth.Stores;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anysola.Auth;

/// <summary>
/// Keeps one session's access token valid: logs in with the device flow, hands out the cached token without
/// locks or I/O, refreshes ahead of expiry in the background, and refreshes at most once at a time across threads
/// and (with an <see cref="ILockingTokenStore"/>) processes, persisting every rotated refresh token before the new
/// access token is used. Thread-safe; use one instance per identity.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "SemaphoreSlim holds no unmanaged resource unless AvailableWaitHandle is used, which it never is here.")]
public sealed class TokenManager
{
    private readonly AnysolaProtocolClient _protocol;
    private readonly DeviceAuthorizationClient _deviceFlow;
    private readonly ITokenStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AnysolaSettings _settings;

    // Orders this process's refreshes, logins and logouts even when the store has no lock of its own.
    private readonly SemaphoreSlim _localLock = new(1, 1);
    private readonly object _flightGate = new();

    private volatile CachedTokens? _cached;
    private Task<TokenSet>? _flight;

    // Tokens the server issued that the store failed to save: never dropped (the old refresh token is dead),
    // saved again before anything else happens.
    private TokenSet? _unsaved;
    private long _backgroundRefreshNotBeforeTicks;

    // Another process may log in, out, or refresh: stores that can tell cheaply are re-checked in the background
    // every StoreCheckInterval while the token is in use, never on the caller's path.
    private static readonly TimeSpan StoreCheckInterval = TimeSpan.FromSeconds(2);
    private readonly ITokenStoreChangeStamp? _changeStamp;
    private long _nextStoreCheckTicks;
    private long _lastChangeStamp;

    /// <summary>The most recent background store check (for tests to await).</summary>
    internal Task LastStoreCheck { get; private set; } = Task.CompletedTask;

    /// <summary>Creates a manager that talks to Anysola through <paramref name="httpClient"/> and keeps tokens in <paramref name="tokenStore"/>.</summary>
    /// <param name="httpClient">The client for OAuth requests. It must not carry the bearer-token handler.</param>
    /// <param name="tokenStore">Where tokens are kept, such as <see cref="FileTokenStore"/> or <see cref="InMemoryTokenStore"/>.</param>
    /// <param name="options">The settings; validated now (<see cref="Microsoft.Extensions.Options.OptionsValidationException"/> if invalid).</param>
    /// <param name="timeProvider">The clock for expiry, refresh-ahead and timeouts. Default: <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">Where to log. Default: nowhere.</param>
    public TokenManager(HttpClient httpClient, ITokenStore tokenStore, AnysolaAuthOptions options, TimeProvider? timeProvider = null, ILogger<TokenManager>? logger = null)
        : this(CreateProtocol(httpClient, options, timeProvider, logger), tokenStore, (ILogger?)logger ?? NullLogger.Instance)
    {
    }

    internal TokenManager(AnysolaProtocolClient protocol, ITokenStore tokenStore, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(tokenStore);
        _protocol = protocol;
        _settings = protocol.Settings;
        _store = tokenStore;
        _time = protocol.TimeProvider;
        _logger = logger;
        _deviceFlow = new DeviceAuthorizationClient(protocol, logger);
        _changeStamp = tokenStore as ITokenStoreChangeStamp;
    }

    /// <summary>The store this manager keeps tokens in.</summary>
    public ITokenStore Store => _store;

    /// <summary>
    /// Runs the device flow: starts it, calls <paramref name="onUserCode"/> so the app can show the code and URL,
    /// waits for approval, then saves the tokens (replacing any previous session).
    /// </summary>
    /// <param name="onUserCode">Shows <see cref="DeviceAuthorization.UserCode"/> and <see cref="DeviceAuthorization.VerificationUri"/> to the person.</param>
    /// <param name="cancellationToken">Stops waiting; surfaces as <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="AnysolaAuthException">The person denied, the code expired, or the server failed.</exception>
    public async Task<TokenSet> LoginAsync(Func<DeviceAuthorization, CancellationToken, Task> onUserCode, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(onUserCode);
        var authorization = await _deviceFlow.StartAsync(cancellationToken).ConfigureAwait(false);
        await onUserCode(authorization, cancellationToken).ConfigureAwait(false);
        var tokens = await _deviceFlow.WaitForTokensAsync(authorization, cancellationToken).ConfigureAwait(false);

        var held = await LockAsync(cancellationToken).ConfigureAwait(false);
        await using (held.ConfigureAwait(false))
        {
            await _store.SaveAsync(tokens, cancellationToken).ConfigureAwait(false);
            _unsaved = null;
            Cache(tokens);
        }

        return tokens;
    }

    /// <summary>
    /// Returns a valid access token. A cached token outside the refresh-ahead window returns at once, with no lock,
    /// I/O or allocation. Inside the window the current token is returned while one background refresh runs. An
    /// expired token waits for the single refresh in flight, which every caller shares.
    /// </summary>
    /// <exception cref="AnysolaLoginRequiredException">There are no tokens, or the session has ended.</exception>
    /// <exception cref="AnysolaAuthException">The refresh failed (see <see cref="AnysolaAuthException.IsTransient"/>).</exception>
    public ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken = default)
    {
        var cached = _cached;
        if (cached is not null)
        {
            var now = _time.GetUtcNow();
            if (now < cached.RefreshAt)
            {
                if (_changeStamp is not null && now.UtcTicks >= Volatile.Read(ref _nextStoreCheckTicks))
                {
                    ScheduleStoreCheck(now);
                }

                return new ValueTask<string>(cached.Tokens.AccessToken);
            }

            if (now < cached.Tokens.ExpiresAt)
            {
                StartBackgroundRefresh(cached, now);
                return new ValueTask<string>(cached.Tokens.AccessToken);
            }
        }

        return new ValueTask<string>(GetAccessTokenSlowAsync(cached?.Tokens.AccessToken, cancellationToken));
    }

    /// <summary>
    /// Refreshes because the API rejected <paramref name="rejectedAccessToken"/>, unless the store already holds a
    /// different valid token (another caller or process refreshed first), and returns the token to use now.
    /// Concurrent calls share one refresh.
    /// </summary>
    /// <param name="rejectedAccessToken">The token the API rejected; <see langword="null"/> means the current one.</param>
    /// <param name="cancellationToken">Stops this caller's wait only; the shared refresh goes on for the others.</param>
    /// <exception cref="AnysolaLoginRequiredException">The session has ended.</exception>
    public async Task<string> RefreshAccessTokenAsync(string? rejectedAccessToken = null, CancellationToken cancellationToken = default)
    {
        rejectedAccessToken ??= _cached?.Tokens.AccessToken
            ?? (await _store.GetAsync(cancellationToken).ConfigureAwait(false))?.AccessToken;
        var tokens = await JoinFlightAsync(rejectedAccessToken, cancellationToken).ConfigureAwait(false);
        if (rejectedAccessToken is not null && tokens.AccessToken == rejectedAccessToken)
        {
            // The shared flight began before this rejection was known and kept that token: refresh once more.
            tokens = await JoinFlightAsync(rejectedAccessToken, cancellationToken).ConfigureAwait(false);
        }

        return tokens.AccessToken;
    }

    /// <summary>Asks Anysola who the current token belongs to. A rejected token is refreshed once and the call repeated.</summary>
    /// <exception cref="AnysolaLoginRequiredException">There are no tokens, or the session has ended.</exception>
    public async Task<AnysolaUserInfo> GetUserInfoAsync(CancellationToken cancellationToken = default)
    {
        var token = await GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await _protocol.GetUserInfoAsync(token, cancellationToken).ConfigureAwait(false);
        }
        catch (AnysolaAuthException ex) when (ex.Error == AnysolaAuthErrors.InvalidToken)
        {
            var fresh = await RefreshAccessTokenAsync(token, cancellationToken).ConfigureAwait(false);
            return await _protocol.GetUserInfoAsync(fresh, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Returns the current session's tokens (cached or stored) without refreshing, or <see langword="null"/> when signed out.</summary>
    public async ValueTask<TokenSet?> GetCurrentTokensAsync(CancellationToken cancellationToken = default) =>
        _cached?.Tokens ?? await _store.GetAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Signs out: revokes the refresh token on the server (which ends its access tokens), then clears the stored
    /// tokens, even if revocation failed or was cancelled. A failed revocation is logged, not thrown.
    /// </summary>
    public async Task LogoutAsync(CancellationToken cancellationToken = default)
    {
        using var activity = AnysolaAuthDiagnostics.ActivitySource.StartActivity("Anysola.Auth.Logout");
        var held = await LockAsync(cancellationToken).ConfigureAwait(false);
        await using (held.ConfigureAwait(false))
        {
            try
            {
                // A rotated pair the store failed to save is the live one; the stored refresh token is already dead.
                var tokens = _unsaved;
                if (tokens is null)
                {
                    try
                    {
                        tokens = await _store.GetAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (AnysolaAuthException ex) when (ex.Error == AnysolaAuthErrors.TokenStoreError)
                    {
                        // A corrupt store is cleared below all the same.
                    }

                    tokens ??= _cached?.Tokens;
                }

                if (tokens is not null)
                {
                    try
                    {
                        if (tokens.RefreshToken is { } refreshToken)
                        {
                            await _protocol.RevokeAsync(refreshToken, "refresh_token", cancellationToken).ConfigureAwait(false);
                        }
                        else
                        {
                            await _protocol.RevokeAsync(tokens.AccessToken, "access_token", cancellationToken).ConfigureAwait(false);
                        }
                    }
                    catch (AnysolaAuthException ex)
                    {
                        Log.RevocationFailed(_logger, ex.Error, ex);
                        activity?.SetStatus(ActivityStatusCode.Error, ex.Error);
                    }
                }
            }
            finally
            {
                _cached = null;
                _unsaved = null;
                await _store.ClearAsync(CancellationToken.None).ConfigureAwait(false);
                Log.LoggedOut(_logger);
            }
        }
    }

    private async Task<string> GetAccessTokenSlowAsync(string? staleAccessToken, CancellationToken cancellationToken)
    {
        var tokens = await JoinFlightAsync(staleAccessToken, cancellationToken).ConfigureAwait(false);
        return tokens.AccessToken;
    }

    /// <summary>Joins the refresh in flight, or starts one. The caller's token cancels only the caller's wait.</summary>
    private Task<TokenSet> JoinFlightAsync(string? staleAccessToken, CancellationToken cancellationToken)
    {
        Task<TokenSet> flight;
        lock (_flightGate)
        {
            flight = _flight is { IsCompleted: false } running
                ? running
                : _flight = Task.Run(() => AcquireAsync(staleAccessToken), CancellationToken.None);
        }

        return cancellationToken.CanBeCanceled ? flight.WaitAsync(cancellationToken) : flight;
    }

    private void StartBackgroundRefresh(CachedTokens cached, DateTimeOffset now)
    {
        if (now.UtcTicks < Volatile.Read(ref _backgroundRefreshNotBeforeTicks) || _flight is { IsCompleted: false })
        {
            return;
        }

        Task<TokenSet> flight;
        lock (_flightGate)
        {
            if (_flight is { IsCompleted: false })
            {
                return;
            }

            flight = _flight = Task.Run(() => AcquireAsync(cached.Tokens.AccessToken), CancellationToken.None);
        }

        _ = flight.ContinueWith(
            (task, state) =>
            {
                var (self, expiresAt) = ((TokenManager, DateTimeOffset))state!;
                var error = task.Exception?.GetBaseException() as AnysolaAuthException;
                Log.BackgroundRefreshFailed(self._logger, error?.Error ?? AnysolaAuthErrors.Unknown, expiresAt);

                // Do not hammer a failing server on every call: wait a quarter of the remaining lifetime (at most 30 s).
                var now = self._time.GetUtcNow();
                var pause = TimeSpan.FromTicks(Math.Clamp((expiresAt - now).Ticks / 4, TimeSpan.TicksPerSecond, 30 * TimeSpan.TicksPerSecond));
                Volatile.Write(ref self._backgroundRefreshNotBeforeTicks, (now + pause).UtcTicks);
            },
            (this, cached.Tokens.ExpiresAt),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void ScheduleStoreCheck(DateTimeOffset now)
    {
        var due = Volatile.Read(ref _nextStoreCheckTicks);
        if (Interlocked.CompareExchange(ref _nextStoreCheckTicks, (now + StoreCheckInterval).UtcTicks, due) == due)
        {
            LastStoreCheck = Task.Run(CheckStoreAsync, CancellationToken.None);
        }
    }

    /// <summary>
    /// Picks up what another process wrote: a newer session is adopted, and a logout elsewhere (an empty store)
    /// drops the cached token, so the next call reports that login is required. Failures are left to the next
    /// regular read.
    /// </summary>
    private async Task CheckStoreAsync()
    {
        try
        {
            var stamp = _changeStamp!.GetChangeStamp();
            if (stamp == Interlocked.Exchange(ref _lastChangeStamp, stamp) || _flight is { IsCompleted: false })
            {
                return;
            }

            var stored = await _store.GetAsync().ConfigureAwait(false);
            var cached = _cached;
            if (cached is null)
            {
                return;
            }

            if (stored is null)
            {
                _cached = null;
            }
            else if (stored.ExpiresAt > cached.Tokens.ExpiresAt && _time.GetUtcNow() < stored.ExpiresAt)
            {
                Log.AdoptedStoredToken(_logger, TokenSet.Fingerprint(stored.AccessToken));
                Cache(stored);
            }
        }
        catch (AnysolaAuthException)
        {
            // A store that cannot be read now is reported by the next refresh or login.
        }
    }

    /// <summary>
    /// The single flight: adopt a newer stored token if there is one, otherwise take the locks, re-read the store
    /// and refresh. Runs under its own timeout, never a caller's token.
    /// </summary>
    private async Task<TokenSet> AcquireAsync(string? staleAccessToken)
    {
        using var activity = AnysolaAuthDiagnostics.ActivitySource.StartActivity("Anysola.Auth.AcquireToken");
        using var timeout = new CancellationTokenSource(_settings.RefreshTimeout, _time);
        var cancellationToken = timeout.Token;
        try
        {
            // Cheap look first: another process may have refreshed already, or this is the first call.
            if (_unsaved is null && Adoptable(await _store.GetAsync(cancellationToken).ConfigureAwait(false), staleAccessToken) is { } ready)
            {
                return ready;
            }

            var held = await LockAsync(cancellationToken).ConfigureAwait(false);
            await using (held.ConfigureAwait(false))
            {
                var stored = await ReadUnderLockAsync(cancellationToken).ConfigureAwait(false);
                if (Adoptable(stored, staleAccessToken) is { } adopted)
                {
                    return adopted;
                }

                if (stored?.RefreshToken is null)
                {
                    _cached = null;
                    throw new AnysolaLoginRequiredException(stored is null
                        ? "Not signed in to Anysola: log in first."
                        : "The Anysola session has expired and cannot be refreshed: log in again.");
                }

                return await RefreshAsync(stored, staleAccessToken, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested)
        {
            AnysolaAuthDiagnostics.RefreshFailures.Add(1, new KeyValuePair<string, object?>("error", AnysolaAuthErrors.RequestTimeout));
            activity?.SetStatus(ActivityStatusCode.Error, AnysolaAuthErrors.RequestTimeout);
            throw new AnysolaAuthException(AnysolaAuthErrors.RequestTimeout, null, null, $"The token refresh did not finish within {_settings.RefreshTimeout}.", ex) { IsTransient = true };
        }
        catch (AnysolaAuthException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Error);
            throw;
        }
    }

    /// <summary>Under the locks: first persist anything the store failed to save earlier, then read.</summary>
    private async ValueTask<TokenSet?> ReadUnderLockAsync(CancellationToken cancellationToken)
    {
        if (_unsaved is { } unsaved)
        {
            await _store.SaveAsync(unsaved, cancellationToken).ConfigureAwait(false);
            _unsaved = null;
        }

        return await _store.GetAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<TokenSet> RefreshAsync(TokenSet stored, string? staleAccessToken, CancellationToken cancellationToken)
    {
        Log.RefreshStarted(_logger, TokenSet.Fingerprint(stored.AccessToken), staleAccessToken is null ? "no valid token" : "expiring or rejected");
        AnysolaAuthDiagnostics.Refreshes.Add(1);
        TokenSet fresh;
        try
        {
            fresh = await _protocol.RefreshAsync(stored, cancellationToken).ConfigureAwait(false);
        }
        catch (AnysolaAuthException ex) when (ex.Error == AnysolaAuthErrors.InvalidGrant)
        {
            fresh = await RecoverFromInvalidGrantAsync(stored, staleAccessToken, ex, cancellationToken).ConfigureAwait(false);
            if (fresh.AccessToken != stored.AccessToken && fresh == _cached?.Tokens)
            {
                return fresh; // adopted from the store; nothing new to save
            }
        }
        catch (AnysolaAuthException ex)
        {
            AnysolaAuthDiagnostics.RefreshFailures.Add(1, new KeyValuePair<string, object?>("error", ex.Error));
            Log.RefreshFailed(_logger, ex.Error, ex);
            throw;
        }

        // Persist before anyone sees the new access token: the old refresh token is already dead.
        try
        {
            await _store.SaveAsync(fresh, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AnysolaAuthException or OperationCanceledException)
        {
            _unsaved = fresh;
            AnysolaAuthDiagnostics.RefreshFailures.Add(1, new KeyValuePair<string, object?>("error", AnysolaAuthErrors.TokenStoreError));
            throw;
        }

        Log.RefreshSucceeded(_logger, TokenSet.Fingerprint(stored.AccessToken), TokenSet.Fingerprint(fresh.AccessToken), fresh.ExpiresAt);
        Cache(fresh);
        return fresh;
    }

    /// <summary>
    /// <c>invalid_grant</c>: maybe another process rotated the token without holding our lock. Re-read once; use a
    /// different refresh token if one is there, otherwise the session is over.
    /// </summary>
    private async Task<TokenSet> RecoverFromInvalidGrantAsync(TokenSet stored, string? staleAccessToken, AnysolaAuthException rejection, CancellationToken cancellationToken)
    {
        var reread = await _store.GetAsync(cancellationToken).ConfigureAwait(false);
        if (reread?.RefreshToken is { } other && other != stored.RefreshToken)
        {
            Log.AdoptedRotatedRefreshToken(_logger);
            if (Adoptable(reread, staleAccessToken) is { } adopted)
            {
                return adopted;
            }

            try
            {
                return await _protocol.RefreshAsync(reread, cancellationToken).ConfigureAwait(false);
            }
            catch (AnysolaAuthException again) when (again.Error == AnysolaAuthErrors.InvalidGrant)
            {
                rejection = again;
            }
        }

        AnysolaAuthDiagnostics.RefreshFailures.Add(1, new KeyValuePair<string, object?>("error", AnysolaAuthErrors.InvalidGrant));
        Log.SessionEnded(_logger);
        _cached = null;
        await _store.ClearAsync(CancellationToken.None).ConfigureAwait(false);
        throw new AnysolaLoginRequiredException("The Anysola session has ended (the refresh token was rejected): log in again.", rejection);
    }

    /// <summary>A stored token that is still valid and is not the one being replaced, cached and returned; else null.</summary>
    private TokenSet? Adoptable(TokenSet? stored, string? staleAccessToken)
    {
        if (stored is null || stored.AccessToken == staleAccessToken || _time.GetUtcNow() >= stored.ExpiresAt)
        {
            return null;
        }

        if (staleAccessToken is not null)
        {
            Log.AdoptedStoredToken(_logger, TokenSet.Fingerprint(stored.AccessToken));
        }

        Cache(stored);
        return stored;
    }

    private void Cache(TokenSet tokens)
    {
        var window = _settings.RefreshBeforeExpiry;
        if (tokens.IssuedAt is { } issuedAt)
        {
            var lifetime = tokens.ExpiresAt - issuedAt;
            if (lifetime > TimeSpan.Zero && window >= lifetime)
            {
                // A window as long as the token's life would refresh on every call: use half the lifetime.
                window = lifetime / 2;
            }
        }

        Volatile.Write(ref _backgroundRefreshNotBeforeTicks, 0);
        _cached = new CachedTokens(tokens, tokens.ExpiresAt - window);
    }

    /// <summary>Takes this process's lock, then the store's cross-process lock if it has one.</summary>
    private async Task<IAsyncDisposable> LockAsync(CancellationToken cancellationToken)
    {
        await _localLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var storeLock = _store is ILockingTokenStore locking
                ? await locking.AcquireLockAsync(cancellationToken).ConfigureAwait(false)
                : null;
            return new HeldLocks(_localLock, storeLock);
        }
        catch
        {
            _localLock.Release();
            throw;
        }
    }

    private static AnysolaProtocolClient CreateProtocol(HttpClient httpClient, AnysolaAuthOptions options, TimeProvider? timeProvider, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        return new AnysolaProtocolClient(() => httpClient, AnysolaSettings.From(options), timeProvider ?? TimeProvider.System, logger ?? NullLogger.Instance);
    }

    private sealed class CachedTokens(TokenSet tokens, DateTimeOffset refreshAt)
    {
        public TokenSet Tokens { get; } = tokens;

        public DateTimeOffset RefreshAt { get; } = refreshAt;
    }

    private sealed class HeldLocks(SemaphoreSlim local, IAsyncDisposable? store) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                if (store is not null)
                {
                    await store.DisposeAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                local.Release();
            }
        }
    }
}
