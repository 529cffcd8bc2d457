using Microsoft.Extensions.Logging;

namespace Anysola.Auth.Testing;

/// <summary>
/// Settings of an <see cref="AnysolaTestServer"/>. The server reads them on each request, so a test may change them
/// while the server runs.
/// </summary>
public sealed class AnysolaTestServerOptions
{
    /// <summary>
    /// The lifetime of issued access tokens, sent as <c>expires_in</c> (fractional seconds are sent as a fractional
    /// number). Default: 1 hour.
    /// </summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The lifetime of device codes, sent as <c>expires_in</c> of the device authorization. Default: 15 minutes.</summary>
    public TimeSpan DeviceCodeLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// The polling interval sent as <c>interval</c> (a JSON number; fractional values such as 0.05 let tests run fast).
    /// Default: 5 seconds.
    /// </summary>
    public TimeSpan PollingInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// When <see langword="true"/>, a poll that comes sooner than the interval after the previous poll of the same
    /// device code is answered with <c>slow_down</c>, and that code's interval grows by 5 seconds (RFC 8628 §3.5).
    /// Default: <see langword="true"/>.
    /// </summary>
    public bool EnforcePollingInterval { get; set; } = true;

    /// <summary>
    /// Within this time after a rotation, the just-rotated refresh token is accepted once more (and returns a fresh
    /// pair) instead of triggering reuse detection. Default: <see cref="TimeSpan.Zero"/> (strict rotation).
    /// </summary>
    public TimeSpan RefreshTokenReuseGrace { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// When <see langword="true"/>, a refresh also revokes the session's earlier access tokens. Default:
    /// <see langword="false"/>: an old access token stays valid until it expires.
    /// </summary>
    public bool RevokeAccessTokenOnRefresh { get; set; }

    /// <summary>
    /// When not <see langword="null"/>, every device authorization is approved at once, by
    /// <see cref="AutoApproveUser"/>, for the workspace with this slug (for demos). Default: <see langword="null"/>.
    /// </summary>
    public string? AutoApproveWorkspace { get; set; }

    /// <summary>
    /// The user that auto-approval and the verification page act as: <c>ada</c> (admin of acme, viewer of globex),
    /// <c>max</c> (member of acme) or <c>val</c> (viewer of acme). Default: <c>ada</c>.
    /// </summary>
    public string AutoApproveUser { get; set; } = "ada";

    /// <summary>
    /// How many <c>POST /api/agents/{id}/run</c> requests one session may make in a sliding minute before it gets
    /// <c>429</c> with <c>Retry-After</c>. Default: 60.
    /// </summary>
    public int AgentRunsPerMinute { get; set; } = 60;

    /// <summary>
    /// The clock behind every expiry, interval and rate-limit decision. Default: <see cref="TimeProvider.System"/>.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Where ASP.NET Core logs go. Default: <see langword="null"/>, which keeps the server silent.
    /// Read once, at start.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
