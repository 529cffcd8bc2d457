using System.Diagnostics;
using Anysola.Auth.Diagnostics;
using Anysola.Auth.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anysola.Auth;

/// <summary>
/// Runs the OAuth 2.0 Device Authorization Grant (RFC 8628): <see cref="StartAsync"/> asks for a code to show,
/// <see cref="WaitForTokensAsync"/> polls until the person approves, denies, or the code expires.
/// Thread-safe; one instance can run many flows.
/// </summary>
public sealed class DeviceAuthorizationClient
{
    /// <summary>The longest wait between polls while the server is failing.</summary>
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan SlowDownIncrement = TimeSpan.FromSeconds(5);

    private readonly AnysolaProtocolClient _protocol;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates a client that sends its requests through <paramref name="httpClient"/>.</summary>
    /// <param name="httpClient">The client for OAuth requests. It must not carry the bearer-token handler.</param>
    /// <param name="options">The settings; validated now (<see cref="Microsoft.Extensions.Options.OptionsValidationException"/> if invalid).</param>
    /// <param name="timeProvider">The clock for polling intervals and deadlines. Default: <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">Where to log. Default: nowhere.</param>
    public DeviceAuthorizationClient(HttpClient httpClient, AnysolaAuthOptions options, TimeProvider? timeProvider = null, ILogger<DeviceAuthorizationClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _protocol = new AnysolaProtocolClient(() => httpClient, AnysolaSettings.From(options), _time, _logger);
    }

    internal DeviceAuthorizationClient(AnysolaProtocolClient protocol, ILogger logger)
    {
        _protocol = protocol;
        _time = protocol.TimeProvider;
        _logger = logger;
    }

    /// <summary>Asks the server for a device code and a user code (RFC 8628 §3.1).</summary>
    /// <exception cref="AnysolaAuthException">The server refused, failed, or answered with a malformed response.</exception>
    public Task<DeviceAuthorization> StartAsync(CancellationToken cancellationToken = default) =>
        _protocol.StartDeviceAuthorizationAsync(cancellationToken);

    /// <summary>
    /// Polls the token endpoint (RFC 8628 §3.4–3.5) until the person approves and tokens are issued. Waits at least
    /// the interval before every poll, the first included; adds 5 seconds after <c>slow_down</c>; backs off and keeps
    /// polling through transient failures; never polls after the code expires.
    /// </summary>
    /// <exception cref="AnysolaAuthException">
    /// The person denied (<c>access_denied</c>), the code expired (<c>expired_token</c>), or the server returned
    /// another error.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The authorization's interval is over an hour, or it never expires.</exception>
    public async Task<TokenSet> WaitForTokensAsync(DeviceAuthorization authorization, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(authorization);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(authorization.Interval, TimeSpan.FromHours(1), nameof(authorization));
        ArgumentOutOfRangeException.ThrowIfEqual(authorization.ExpiresAt, DateTimeOffset.MaxValue, nameof(authorization));
        using var activity = AnysolaAuthDiagnostics.ActivitySource.StartActivity("Anysola.Auth.DeviceAuthorization");

        var interval = authorization.Interval > TimeSpan.Zero ? authorization.Interval : TimeSpan.FromSeconds(5);
        var wait = interval;
        var failures = 0;
        while (true)
        {
            // Checked before the wait (no point waiting for a poll that could not be made) and after it (the timer
            // may fire late: a loaded machine, a laptop waking from sleep).
            if (_time.GetUtcNow() + wait >= authorization.ExpiresAt)
            {
                throw Expired(activity);
            }

            await WaitAtLeastAsync(wait, cancellationToken).ConfigureAwait(false);
            if (_time.GetUtcNow() >= authorization.ExpiresAt)
            {
                throw Expired(activity);
            }
            try
            {
                var tokens = await _protocol.PollDeviceTokenAsync(authorization.DeviceCode, cancellationToken).ConfigureAwait(false);
                AnysolaAuthDiagnostics.DeviceFlowPolls.Add(1, new KeyValuePair<string, object?>("outcome", "approved"));
                Log.DeviceAuthorizationApproved(_logger, TokenSet.Fingerprint(tokens.AccessToken), tokens.ExpiresAt);
                return tokens;
            }
            catch (AnysolaAuthException ex) when (ex.Error == AnysolaAuthErrors.AuthorizationPending)
            {
                AnysolaAuthDiagnostics.DeviceFlowPolls.Add(1, new KeyValuePair<string, object?>("outcome", ex.Error));
                failures = 0;
                wait = interval;
                Log.AuthorizationPending(_logger, wait);
            }
            catch (AnysolaAuthException ex) when (ex.Error == AnysolaAuthErrors.SlowDown)
            {
                AnysolaAuthDiagnostics.DeviceFlowPolls.Add(1, new KeyValuePair<string, object?>("outcome", ex.Error));
                failures = 0;
                interval += SlowDownIncrement;
                if (ex.PollInterval is { } serverInterval && serverInterval > interval)
                {
                    interval = serverInterval;
                }

                wait = interval;
                Log.SlowDown(_logger, interval);
            }
            catch (AnysolaAuthException ex) when (ex.IsTransient)
            {
                // The person may already have approved: a failing server does not end the login before the deadline.
                AnysolaAuthDiagnostics.DeviceFlowPolls.Add(1, new KeyValuePair<string, object?>("outcome", "transient_failure"));
                failures++;
                var backoff = TimeSpan.FromTicks(Math.Min(interval.Ticks * (1L << Math.Min(failures, 16)), MaxBackoff.Ticks));
                wait = backoff < interval ? interval : backoff;
                if (ex.RetryAfter is { } retryAfter && retryAfter > wait)
                {
                    wait = retryAfter;
                }

                Log.PollTransientFailure(_logger, ex.Error, (int?)ex.StatusCode, wait);
            }
            catch (AnysolaAuthException ex)
            {
                AnysolaAuthDiagnostics.DeviceFlowPolls.Add(1, new KeyValuePair<string, object?>("outcome", ex.Error));
                Log.DeviceAuthorizationFailed(_logger, ex.Error);
                activity?.SetStatus(ActivityStatusCode.Error, ex.Error);
                throw;
            }
        }
    }

    /// <summary>
    /// Waits until <paramref name="wait"/> has passed on the injected clock. Timers may fire up to a tick early, and a
    /// poll that arrives even a millisecond before the interval is up earns a <c>slow_down</c> (5 more seconds), so
    /// what is left is waited out once more: once, so a clock whose timers and timestamps disagree cannot spin here.
    /// </summary>
    private async Task WaitAtLeastAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        var remaining = wait - _time.GetElapsedTime(started);
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private AnysolaAuthException Expired(Activity? activity)
    {
        Log.DeviceAuthorizationFailed(_logger, AnysolaAuthErrors.ExpiredToken);
        activity?.SetStatus(ActivityStatusCode.Error, AnysolaAuthErrors.ExpiredToken);
        return new AnysolaAuthException(AnysolaAuthErrors.ExpiredToken, "The device code expired before the request was approved.", null);
    }
}
