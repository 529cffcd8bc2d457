using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Anysola.Auth.Diagnostics;

/// <summary>
/// The <see cref="ActivitySource"/> and <see cref="Meter"/> named <c>Anysola.Auth</c>. Tags hold outcomes and
/// error codes only, never token values.
/// </summary>
internal static class AnysolaAuthDiagnostics
{
    public const string Name = "Anysola.Auth";

    private static readonly string? Version = typeof(AnysolaAuthDiagnostics).Assembly.GetName().Version?.ToString();

    public static readonly ActivitySource ActivitySource = new(Name, Version);

    public static readonly Meter Meter = new(Name, Version);

    /// <summary>Refresh requests sent to the token endpoint.</summary>
    public static readonly Counter<long> Refreshes = Meter.CreateCounter<long>("anysola.auth.refreshes", "{refresh}", "Token refresh requests sent to the server.");

    /// <summary>Refreshes that failed, tagged with <c>error</c>.</summary>
    public static readonly Counter<long> RefreshFailures = Meter.CreateCounter<long>("anysola.auth.refresh_failures", "{refresh}", "Token refreshes that failed.");

    /// <summary>Polls of the token endpoint during a device flow, tagged with <c>outcome</c>.</summary>
    public static readonly Counter<long> DeviceFlowPolls = Meter.CreateCounter<long>("anysola.auth.device_flow.polls", "{poll}", "Token endpoint polls during device authorization.");

    /// <summary>API requests resent after a 401, tagged with <c>outcome</c>.</summary>
    public static readonly Counter<long> UnauthorizedRetries = Meter.CreateCounter<long>("anysola.auth.unauthorized_retries", "{request}", "API requests refreshed and resent after a 401.");

    /// <summary>OAuth requests retried after a transient failure.</summary>
    public static readonly Counter<long> TransientRetries = Meter.CreateCounter<long>("anysola.auth.transient_retries", "{request}", "OAuth requests retried after a transient failure.");
}
