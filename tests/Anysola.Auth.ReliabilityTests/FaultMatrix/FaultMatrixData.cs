using System.Collections.Concurrent;
using System.Text;
using Anysola.Auth.ReliabilityTests.Infrastructure;
using Anysola.Auth.Testing;

namespace Anysola.Auth.ReliabilityTests.FaultMatrix;

/// <summary>One kind of failure the local server injects into one answer.</summary>
public sealed record FaultKind(string Name, string Description, AnysolaFault Fault);

/// <summary>What an operation must do under a fault: its outcome, and the state it must leave behind.</summary>
public sealed record Expectation(string Outcome, string After);

/// <summary>
/// The fault matrix as data: every operation against every fault, with the documented outcome. The theories run it
/// and the observed rows are written to reliability-report/fault-matrix.md, which docs/reliability.md reproduces.
/// </summary>
public static class FaultMatrixData
{
    public const string DeviceStart = "device start";
    public const string DevicePoll = "device poll";
    public const string Refresh = "refresh";
    public const string Revoke = "revoke (logout)";
    public const string UserInfo = "userinfo";
    public const string ApiCall = "API GET via AddAnysolaApiClient";

    // Outcomes.
    public const string Ok = "ok";
    public const string Http200 = "HTTP 200 returned";
    public const string HttpClientTimeout = "TaskCanceledException (HttpClient.Timeout)";

    // States after the fault.
    public const string StoreUnchangedThenOk = "store unchanged; next call ok";
    public const string StoreUpdated = "store updated";
    public const string SessionEnded = "session ended: login_required";
    public const string CodeSpent = "device code spent: login must restart";
    public const string NextCallOk = "next call ok";
    public const string Revoked = "store cleared; server session revoked";
    public const string LeftActive = "store cleared; server session still active";

    public static readonly string[] Operations = [DeviceStart, DevicePoll, Refresh, Revoke, UserInfo, ApiCall];

    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    public static readonly FaultKind[] Faults =
    [
        new("500", "HTTP 500, OAuth-style JSON error (`temporarily_unavailable`)", new AnysolaFault { StatusCode = 500 }),
        new("502-html", "HTTP 502 with a proxy's HTML page", new AnysolaFault { StatusCode = 502, Body = AnysolaFaultBody.Html }),
        new("503-retry-after", "HTTP 503 with `Retry-After: 1`", new AnysolaFault { StatusCode = 503, RetryAfter = RetryAfter }),
        new("429-retry-after", "HTTP 429 with `Retry-After: 1`", new AnysolaFault { StatusCode = 429, RetryAfter = RetryAfter }),
        new("drop", "connection reset before any response; the server did not act", new AnysolaFault { DropConnection = true }),
        new("drop-after-acting", "the server acted, then the connection dropped (answer lost)", new AnysolaFault { DropConnection = true, Passthrough = true }),
        new("timeout", "the server waits 5 s before answering; RequestTimeout 2 s (API: HttpClient.Timeout 2 s)", new AnysolaFault { StatusCode = 503, Delay = TimeSpan.FromSeconds(5) }),
        new("truncated-json", "HTTP 200 whose JSON stops mid-value", new AnysolaFault { StatusCode = 200, Body = AnysolaFaultBody.TruncatedJson }),
        new("empty-200", "HTTP 200 with an empty body", new AnysolaFault { StatusCode = 200, Body = AnysolaFaultBody.Empty }),
        new("huge-10MiB", "HTTP 200 with a 10 MiB body", new AnysolaFault { StatusCode = 200, Body = AnysolaFaultBody.Huge }),
        new("wrong-content-type", "HTTP 503, JSON error body labelled text/plain", new AnysolaFault { StatusCode = 503, Body = AnysolaFaultBody.WrongContentType }),
        new("trickle", "HTTP 503 body trickled 4 bytes per 100 ms (2.3 s in all)", new AnysolaFault { StatusCode = 503, Body = AnysolaFaultBody.Trickle }),
    ];

    private static readonly ConcurrentDictionary<(string Operation, string Fault), string> Rows = new();

    public static IEnumerable<object[]> Cases(string operation) => Faults.Select(f => new object[] { operation, f.Name });

    public static FaultKind Fault(string name) => Faults.Single(f => f.Name == name);

    /// <summary>The documented behaviour (docs/reliability.md), with MaxRetryAttempts = 1 and each fault applied once.</summary>
    public static Expectation Expected(string operation, string fault)
    {
        // The 200s the fault injector sends are not valid responses for the OAuth endpoints: never retried.
        var malformed200 = fault is "truncated-json" or "empty-200" or "huge-10MiB";
        switch (operation)
        {
            case DeviceStart:
                return malformed200 ? new("error:invalid_response", NextCallOk) : new(Ok, NextCallOk);

            case DevicePoll:
                // Transient poll failures never end a login; a lost answer spends the device code.
                if (fault == "drop-after-acting")
                {
                    return new("error:invalid_grant", CodeSpent);
                }

                return malformed200 ? new("error:invalid_response", NextCallOk) : new(Ok, NextCallOk);

            case Refresh:
                // Only faults where the server certainly did not act are retried (rotation makes repeats unsafe).
                return fault switch
                {
                    "503-retry-after" or "429-retry-after" or "wrong-content-type" => new(Ok, StoreUpdated),
                    "500" => new("error:temporarily_unavailable", StoreUnchangedThenOk),
                    "502-html" => new("error:server_error", StoreUnchangedThenOk),
                    "drop" => new("error:network_error", StoreUnchangedThenOk),
                    "drop-after-acting" => new("error:network_error", SessionEnded),
                    "timeout" or "trickle" => new("error:request_timeout", StoreUnchangedThenOk),
                    _ => new("error:invalid_response", StoreUnchangedThenOk),
                };

            case Revoke:
                // Logout never throws; a 2xx is taken as revoked (RFC 7009), an oversized one is a failed revocation.
                return fault is "truncated-json" or "empty-200" or "huge-10MiB" ? new(Ok, LeftActive) : new(Ok, Revoked);

            case UserInfo:
                return malformed200 ? new("error:invalid_response", StoreUnchangedThenOk) : new(Ok, StoreUnchangedThenOk);

            case ApiCall:
                // API responses are the caller's: 200s pass through as sent; 429/5xx/drops are retried for a GET.
                return fault == "timeout" ? new(HttpClientTimeout, StoreUnchangedThenOk) : new(Http200, StoreUnchangedThenOk);

            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation, null);
        }
    }

    /// <summary>Records one observed row and rewrites the whole table, so it is complete whichever case runs last.</summary>
    public static void Record(string operation, string fault, Expectation expected, string outcome, string after, int requests)
    {
        var pass = outcome == expected.Outcome && after == expected.After ? "yes" : "**NO**";
        Rows[(operation, fault)] = $"| {Report.Cell(operation)} | {Report.Cell(fault)} | {Report.Cell(outcome)} | {requests} | {Report.Cell(after)} | {pass} |";

        var table = new StringBuilder();
        table.AppendLine("| Operation | Fault | Observed outcome | Requests to the endpoint | After the fault | As documented |");
        table.AppendLine("|---|---|---|---|---|---|");
        foreach (var op in Operations)
        {
            foreach (var f in Faults)
            {
                if (Rows.TryGetValue((op, f.Name), out var row))
                {
                    table.AppendLine(row);
                }
            }
        }

        table.AppendLine();
        table.AppendLine($"{Rows.Count} of {Operations.Length * Faults.Length} cases run; {Rows.Values.Count(r => r.EndsWith("| yes |", StringComparison.Ordinal))} as documented.");
        Report.Write("fault-matrix", table.ToString());
    }
}
