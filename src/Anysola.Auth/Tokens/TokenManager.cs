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
/// access token is used. Thread-safe; use one instance per identity. Dispose it (the DI container does) before the
/// process exits, so a refresh in flight is saved rather than lost.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "SemaphoreSlim holds no unmanaged resource unless AvailableWaitHandle is used, which it never is here.")]
public sealed class TokenManager : IAsyncDisposable, IDisposable
{
    // Another process may log in, out, or refresh: stores that can tell cheaply are re-checked in the background
    // every StoreCheckInterval while the token is in use, never on the caller's path.
    private static readonly TimeSpan StoreCheckInterval = TimeSpan.FromSeconds(2);

    private readonly AnysolaProtocolClient _protocol;
    private readonly DeviceAuthorizationClient _deviceFlow;
    private readonly ITokenStore _store;
    private readonly ITokenStoreChangeStamp? _changeStamp;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AnysolaSettings _settings;

    // Orders this process's refreshes, logins and logouts even when the store has no lock of its own.
    private readonly SemaphoreSlim _localLock = new(1, 1);

    // Guards _flight, and every publication of _cached together with _sessionVersion.
    private readonly object _gate = new();

    private volatile CachedTokens? _cached;
    private Task<TokenSet>? _flight;

    // Login, logout and the end of a session start a new generation; work begun under an older one (a refresh
    // that overlapped a logout, say) may finish, but never publishes its tokens.
    private int _sessionVersion;

    // A rotated pair the store failed to save, and the refresh token it replaced. The old refresh token is dead,
    // so the pair is never dropped while the store still holds the one it replaced.
    private TokenSet? _unsaved;
    private string? _unsavedReplaces;

    private long _backgroundRefreshNotBeforeTicks;

    // After the server asked to wait (Retry-After), refreshes fail fast with its answer until then: retrying
    // earlier extends the block.
    private long _refreshBlockedUntilTicks;
    private AnysolaAuthException? _refreshBlockedBy;

    private long _nextStoreCheckTicks;
    private long _lastChangeStamp;

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
        _changeStamp = tokenStore as ITokenStoreChangeStamp;
        _time = protocol.TimeProvider;
        _logger = logger;
        _deviceFlow = new DeviceAuthorizationClient(protocol, logger);
    }

    /// <summary>The store this manager keeps tokens in.</summary>
    public ITokenStore Store => _store;

    /// <summary>The most recent background store check (for tests to await).</summary>
    internal Task LastStoreCheck { get; private set; } = Task.CompletedTask;

    /// <summary>
    /// Runs the device flow: starts it, calls <paramref name="onUserCode"/> so the app can show the code and URL,
    /// waits for approval, then saves the tokens. A previous session is replaced, and revoked on the server.
    /// </summary>
    /// <param name="onUserCode">Shows <see cref="DeviceAuthorization.UserCode"/> and <see cref="DeviceAuthorization.VerificationUri"/> to the person.</param>
    /// <param name="cancellationToken">Stops waiting for approval; surfaces as <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="AnysolaAuthException">The person denied, the code expired, or the server failed.</exception>
    public async Task<TokenSet> LoginAsync(Func<DeviceAuthorization, CancellationToken, Task> onUserCode, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(onUserCode);
        var authorization = await _deviceFlow.StartAsync(cancellationToken).ConfigureAwait(false);
        await onUserCode(authorization, cancellationToken).ConfigureAwait(false);
        var tokens = await _deviceFlow.WaitForTokensAsync(authorization, cancellationToken).ConfigureAwait(false);

        // The device code is spent: from here on, cancelling would only throw the new session away.
        TokenSet? previous;
        var held = await LockAsync(CancellationToken.None).ConfigureAwait(false);
        await using (held.ConfigureAwait(false))
        {
            previous = _unsaved ?? await TryReadStoreAsync().ConfigureAwait(false);
            await StoreCallAsync(() => _store.SaveAsync(tokens, CancellationToken.None)).ConfigureAwait(false);
            ReplaceSession(tokens);
        }

        if (previous?.RefreshToken is { } replaced && replaced != tokens.RefreshToken)
        {
            await TryRevokeAsync(previous, CancellationToken.None).ConfigureAwait(false);
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
            ?? (await StoreCallAsync(() => _store.GetAsync(cancellationToken)).ConfigureAwait(false))?.AccessToken;
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
        _cached?.Tokens ?? await StoreCallAsync(() => _store.GetAsync(cancellationToken)).ConfigureAwait(false);

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
                var tokens = _unsaved ?? await TryReadStoreAsync().ConfigureAwait(false) ?? _cached?.Tokens;
                if (tokens is not null && !await TryRevokeAsync(tokens, cancellationToken).ConfigureAwait(false))
                {
                    activity?.SetStatus(ActivityStatusCode.Error, "revocation_failed");
                }
            }
            finally
            {
                await StoreCallAsync(() => _store.ClearAsync(CancellationToken.None)).ConfigureAwait(false);
                ReplaceSession(null);
                Log.LoggedOut(_logger);
            }
        }
    }

    /// <summary>
    /// Waits for a refresh in flight to finish and save its tokens, so a process that exits right after its last
    /// request does not lose a refresh token the server has already rotated. The manager stays usable.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Task<TokenSet>? flight;
        lock (_gate)
        {
            flight = _flight;
        }

        if (flight is { IsCompleted: false })
        {
            try
            {
                await flight.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AnysolaAuthException or OperationCanceledException)
            {
                // Its callers were told; disposal only waits for the save.
            }
        }
    }

    /// <summary>Like <see cref="DisposeAsync"/>, blocking until a refresh in flight has saved its tokens.</summary>
    public void Dispose()
    {
        Task<TokenSet>? flight;
        lock (_gate)
        {
            flight = _flight;
        }

        if (flight is { IsCompleted: false })
        {
            // Bounded by the flight's own lock and refresh timeouts; its outcome went to its callers.
            ((IAsyncResult)flight).AsyncWaitHandle.WaitOne();
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
        lock (_gate)
        {
            if (_flight is { IsCompleted: false } running)
            {
                flight = running;
            }
            else if (_refreshBlockedBy is { } blocked && _time.GetUtcNow().UtcTicks < _refreshBlockedUntilTicks)
            {
                return Task.FromException<TokenSet>(blocked);
            }
            else
            {
                var version = _sessionVersion;
                flight = _flight = Task.Run(() => AcquireAsync(staleAccessToken, version), CancellationToken.None);
            }
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
        lock (_gate)
        {
            if (_flight is { IsCompleted: false } || now.UtcTicks < _refreshBlockedUntilTicks)
            {
                return;
            }

            var version = _sessionVersion;
            flight = _flight = Task.Run(() => AcquireAsync(cached.Tokens.AccessToken, version), CancellationToken.None);
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
        var version = Volatile.Read(ref _sessionVersion);
        if (_flight is { IsCompleted: false })
        {
            return; // the flight re-reads the store itself
        }

        try
        {
            var stamp = _changeStamp!.GetChangeStamp();
            if (stamp == Interlocked.Exchange(ref _lastChangeStamp, stamp))
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
                Publish(null, version);
            }
            else if (stored.ExpiresAt > cached.Tokens.ExpiresAt && _time.GetUtcNow() < stored.ExpiresAt && Publish(stored, version))
            {
                Log.AdoptedStoredToken(_logger, TokenSet.Fingerprint(stored.AccessToken));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A store that cannot be read now is reported by the next refresh or login.
        }
    }

    /// <summary>
    /// The single flight: adopt a newer stored token if there is one, otherwise take the locks, re-read the store
    /// and refresh. Never runs under a caller's token: waiting for the lock and the refresh itself each have
    /// <see cref="AnysolaAuthOptions.RefreshTimeout"/>.
    /// </summary>
    private async Task<TokenSet> AcquireAsync(string? staleAccessToken, int version)
    {
        using var activity = AnysolaAuthDiagnostics.ActivitySource.StartActivity("Anysola.Auth.AcquireToken");
        using var lockTimeout = new CancellationTokenSource(_settings.RefreshTimeout, _time);
        CancellationTokenSource? workTimeout = null;
        try
        {
            // Cheap look first: another process may have refreshed already, or this is the first call.
            if (_unsaved is null && Adopt(await _store.GetAsync(lockTimeout.Token).ConfigureAwait(false), staleAccessToken, version) is { } ready)
            {
                return ready;
            }

            var held = await LockAsync(lockTimeout.Token).ConfigureAwait(false);
            await using (held.ConfigureAwait(false))
            {
                // A fresh deadline once the lock is held: a long wait for another process must not cut this
                // process's refresh short after the server has rotated the token.
                workTimeout = new CancellationTokenSource(_settings.RefreshTimeout, _time);
                var stored = await ReadUnderLockAsync(workTimeout.Token).ConfigureAwait(false);
                if (Adopt(stored, staleAccessToken, version) is { } adopted)
                {
                    return adopted;
                }

                if (stored?.RefreshToken is null)
                {
                    Publish(null, version);
                    throw new AnysolaLoginRequiredException(stored is null
                        ? "Not signed in to Anysola: log in first."
                        : "The Anysola session has expired and cannot be refreshed: log in again.");
                }

                return await RefreshAsync(stored, staleAccessToken, version, workTimeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException ex) when (lockTimeout.IsCancellationRequested || workTimeout?.IsCancellationRequested == true)
        {
            AnysolaAuthDiagnostics.RefreshFailures.Add(1, new KeyValuePair<string, object?>("error", AnysolaAuthErrors.RequestTimeout));
            activity?.SetStatus(ActivityStatusCode.Error, AnysolaAuthErrors.RequestTimeout);
            throw new AnysolaAuthException(AnysolaAuthErrors.RequestTimeout, null, null, $"The token refresh did not finish within {_settings.RefreshTimeout}.", ex) { IsTransient = true };
        }
        catch (AnysolaAuthException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Error);
            if (ex.RetryAfter is { } retryAfter && retryAfter > TimeSpan.Zero)
            {
                lock (_gate)
                {
                    _refreshBlockedBy = ex;
                    _refreshBlockedUntilTicks = (_time.GetUtcNow() + retryAfter).UtcTicks;
                }
            }

            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Only the store can throw anything else: an app's own ITokenStore.
            activity?.SetStatus(ActivityStatusCode.Error, AnysolaAuthErrors.TokenStoreError);
            throw StoreFailure(ex);
        }
        finally
        {
            workTimeout?.Dispose();
        }
    }

    /// <summary>
    /// Under the locks: read the store, first writing back a rotated pair that an earlier save failed to persist,
    /// if the store still holds the pair it replaced. If the store moved on meanwhile (another process logged out
    /// or in), that pair belongs to an abandoned session and is dropped.
    /// </summary>
    private async ValueTask<TokenSet?> ReadUnderLockAsync(CancellationToken cancellationToken)
    {
        var stored = await _store.GetAsync(cancellationToken).ConfigureAwait(false);
        if (_unsaved is not { } unsaved)
        {
            return stored;
        }

        if (stored?.RefreshToken == _unsavedReplaces)
        {
            await _store.SaveAsync(unsaved, cancellationToken).ConfigureAwait(false);
            stored = unsaved;
        }

        _unsaved = null;
        _unsavedReplaces = null;
        return stored;
    }

    private async Task<TokenSet> RefreshAsync(TokenSet stored, string? staleAccessToken, int version, CancellationToken cancellationToken)
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
            var recovery = await RecoverFromInvalidGrantAsync(stored, staleAccessToken, version, ex, cancellationToken).ConfigureAwait(false);
            if (recovery.RefreshedFrom is null)
            {
                return recovery.Tokens; // adopted from the store: nothing new to save
            }

            (stored, fresh) = (recovery.RefreshedFrom, recovery.Tokens);
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
        catch (Exception ex)
        {
            _unsaved = fresh;
            _unsavedReplaces = stored.RefreshToken;
            AnysolaAuthDiagnostics.RefreshFailures.Add(1, new KeyValuePair<string, object?>("error", AnysolaAuthErrors.TokenStoreError));
            throw ex is AnysolaAuthException or OperationCanceledException ? ex : StoreFailure(ex);
        }

        Log.RefreshSucceeded(_logger, TokenSet.Fingerprint(stored.AccessToken), TokenSet.Fingerprint(fresh.AccessToken), fresh.ExpiresAt);
        Publish(fresh, version);
        return fresh;
    }

    /// <summary>
    /// <c>invalid_grant</c>: maybe another process rotated the token without holding our lock. Re-read once; use a
    /// different refresh token if one is there, otherwise the session is over.
    /// </summary>
    private async Task<Recovery> RecoverFromInvalidGrantAsync(TokenSet stored, string? staleAccessToken, int version, AnysolaAuthException rejection, CancellationToken cancellationToken)
    {
        var reread = await _store.GetAsync(cancellationToken).ConfigureAwait(false);
        if (reread?.RefreshToken is { } other && other != stored.RefreshToken)
        {
            Log.AdoptedRotatedRefreshToken(_logger);
            if (Adopt(reread, staleAccessToken, version) is { } adopted)
            {
                return new Recovery(adopted, null);
            }

            try
            {
                return new Recovery(await _protocol.RefreshAsync(reread, cancellationToken).ConfigureAwait(false), reread);
            }
            catch (AnysolaAuthException again) when (again.Error == AnysolaAuthErrors.InvalidGrant)
            {
                rejection = again;
            }
        }

        AnysolaAuthDiagnostics.RefreshFailures.Add(1, new KeyValuePair<string, object?>("error", AnysolaAuthErrors.InvalidGrant));
        Log.SessionEnded(_logger);
        await _store.ClearAsync(CancellationToken.None).ConfigureAwait(false);
        ReplaceSession(null);
        throw new AnysolaLoginRequiredException("The Anysola session has ended (the refresh token was rejected): log in again.", rejection);
    }

    /// <summary>
    /// A stored token that is still valid and is not the one being replaced, published and returned; else null.
    /// The token being replaced is returned only when nothing can replace it (it has no refresh token).
    /// </summary>
    private TokenSet? Adopt(TokenSet? stored, string? staleAccessToken, int version)
    {
        if (stored is null || _time.GetUtcNow() >= stored.ExpiresAt
            || (stored.AccessToken == staleAccessToken && stored.RefreshToken is not null))
        {
            return null;
        }

        if (staleAccessToken is not null && stored.AccessToken != staleAccessToken)
        {
            Log.AdoptedStoredToken(_logger, TokenSet.Fingerprint(stored.AccessToken));
        }

        Publish(stored, version);
        return stored;
    }

    /// <summary>Makes <paramref name="tokens"/> the cached ones, unless a login or logout began a new session since <paramref name="version"/>.</summary>
    private bool Publish(TokenSet? tokens, int version)
    {
        lock (_gate)
        {
            if (version != _sessionVersion)
            {
                return false;
            }

            SetCached(tokens);
            return true;
        }
    }

    /// <summary>Begins a new session (login, logout, or the end of the old one): earlier flights can no longer publish.</summary>
    private void ReplaceSession(TokenSet? tokens)
    {
        lock (_gate)
        {
            _sessionVersion++;
            _unsaved = null;
            _unsavedReplaces = null;
            SetCached(tokens);
        }
    }

    private void SetCached(TokenSet? tokens)
    {
        if (tokens is null)
        {
            _cached = null;
            return;
        }

        var refreshAt = tokens.ExpiresAt;
        if (tokens.RefreshToken is not null)
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

            refreshAt -= window;
        }

        Volatile.Write(ref _backgroundRefreshNotBeforeTicks, 0);
        _refreshBlockedBy = null;
        _refreshBlockedUntilTicks = 0;
        _cached = new CachedTokens(tokens, refreshAt);
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

    /// <summary>Revokes the session's refresh token (or, without one, its access token); a failure is logged.</summary>
    private async Task<bool> TryRevokeAsync(TokenSet tokens, CancellationToken cancellationToken)
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

            return true;
        }
        catch (AnysolaAuthException ex)
        {
            Log.RevocationFailed(_logger, ex.Error, ex);
            return false;
        }
    }

    /// <summary>The stored tokens, or null when there are none or the store cannot be read (it is about to be replaced).</summary>
    private async ValueTask<TokenSet?> TryReadStoreAsync()
    {
        try
        {
            return await _store.GetAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return null;
        }
    }

    private static async ValueTask<T> StoreCallAsync<T>(Func<ValueTask<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (AnysolaAuthException or OperationCanceledException))
        {
            throw StoreFailure(ex);
        }
    }

    private static async ValueTask StoreCallAsync(Func<ValueTask> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (AnysolaAuthException or OperationCanceledException))
        {
            throw StoreFailure(ex);
        }
    }

    /// <summary>An app's own store failed; its exception is kept as the cause, its message (which it controls) is not repeated.</summary>
    private static AnysolaAuthException StoreFailure(Exception ex) =>
        new(AnysolaAuthErrors.TokenStoreError, null, null, $"The token store failed with {ex.GetType().Name}.", ex);

    private static AnysolaProtocolClient CreateProtocol(HttpClient httpClient, AnysolaAuthOptions options, TimeProvider? timeProvider, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        return new AnysolaProtocolClient(() => httpClient, AnysolaSettings.From(options), timeProvider ?? TimeProvider.System, logger ?? NullLogger.Instance);
    }

    /// <summary>What <c>invalid_grant</c> recovery found: a token adopted from the store, or a refresh made with the re-read pair.</summary>
    private readonly record struct Recovery(TokenSet Tokens, TokenSet? RefreshedFrom);

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
