using System.Diagnostics;
using System.Globalization;

namespace Anysola.Auth.Benchmarks;

/// <summary>
/// <c>--refresh-ahead</c>: a steady, open-loop stream of requests (one scheduled every <see cref="Interval"/>)
/// through <see cref="AnysolaBearerTokenHandler"/> while tokens keep entering their refresh window. The token
/// endpoint takes 20 ms, so a caller that waited for a refresh would show a latency of about 20 ms. Each request's
/// own latency is recorded, and requests are split by whether they started while a refresh was in flight. The
/// contrast scenario has no refresh window, so the caller that finds the token expired waits for the refresh.
/// </summary>
internal static class RefreshAheadReport
{
    private static readonly TimeSpan Interval = TimeSpan.FromMicroseconds(100);

    public static int Run(bool quick)
    {
        var duration = TimeSpan.FromSeconds(quick ? 8 : 20);
        Console.WriteLine($"Refresh-ahead latency: token lifetime 2 s, refresh window 1 s, token endpoint latency 20 ms, one request every {Interval.TotalMicroseconds} us for {duration.TotalSeconds} s per scenario.");
        Console.WriteLine();
        Console.WriteLine("Latency = one request's own time (start to response). Stalled = requests that took 15 ms or more, as long as a 20 ms token call; of those, 'ended with a call' = finished within 1 ms after a token call answered (waited for it).");
        Console.WriteLine();
        Console.WriteLine("| Scenario | Requests | Token calls | Group | Samples | p50 (us) | p90 (us) | p99 (us) | p99.9 (us) | max (us) | Stalled (ended with a call) |");
        Console.WriteLine("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        var ahead = Measure("refresh ahead (window 1 s)", TimeSpan.FromSeconds(1), duration);
        Measure("contrast: no window, callers wait at expiry", TimeSpan.Zero, duration);
        Console.WriteLine();
        var ratio = ahead.RefreshP99 / ahead.SteadyP99;
        Console.WriteLine(FormattableString.Invariant($"Refresh-ahead p99 during refresh / steady p99 = {ratio:F3} (target <= 1.10): {(ratio <= 1.10 ? "met" : "NOT met")}"));
        return 0;
    }

    private static (double SteadyP99, double RefreshP99) Measure(string scenario, TimeSpan window, TimeSpan duration)
    {
        var tokenEndpoint = new FakeTokenEndpoint { ExpiresInSeconds = 2, RecordIntervals = true };
        tokenEndpoint.Reset("ays_refresh_FAKE_0", "ays_oauth_FAKE_0");
        var options = Fixture.Options(refreshBeforeExpiry: window);
        var now = DateTimeOffset.UtcNow;
        var issuedTimestamp = Stopwatch.GetTimestamp();
        var first = new TokenSet { AccessToken = "ays_oauth_FAKE_0", RefreshToken = "ays_refresh_FAKE_0", ExpiresAt = now.AddSeconds(2), IssuedAt = now };
        var manager = new TokenManager(new HttpClient(tokenEndpoint), new InMemoryTokenStore(first), options);
        using var invoker = new HttpMessageInvoker(new AnysolaBearerTokenHandler(manager, options) { InnerHandler = new FakeApi(tokenEndpoint, acceptPrevious: true) });

        // Warm up JIT and the cache before the clock starts.
        for (var i = 0; i < 20_000; i++)
        {
            Send(invoker);
        }

        var interval = (long)(Interval.TotalSeconds * Stopwatch.Frequency);
        var count = (int)(duration.Ticks / Interval.Ticks);
        var starts = new long[count];
        var services = new long[count];
        var notOk = 0;
        var t0 = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            var scheduled = t0 + (i * interval);
            while (Stopwatch.GetTimestamp() < scheduled)
            {
                Thread.SpinWait(10);
            }

            var actual = Stopwatch.GetTimestamp();
            starts[i] = actual;
            if (!Send(invoker))
            {
                notOk++;
            }

            var end = Stopwatch.GetTimestamp();
            services[i] = end - actual;
        }

        // A refresh lasts from the moment its token enters the window (issue time + lifetime - window: the request
        // that notices starts it) until the token call has answered, plus 1 ms for the new token to be cached.
        // Each token is issued when the previous call started (the first one when it was seeded).
        var margin = Stopwatch.Frequency / 1000;
        var calls = tokenEndpoint.Intervals;
        var untilWindow = (long)((TimeSpan.FromSeconds(2) - window).TotalSeconds * Stopwatch.Frequency);
        var refreshes = new (long Start, long End)[calls.Count];
        for (var k = 0; k < calls.Count; k++)
        {
            var issued = k == 0 ? issuedTimestamp : calls[k - 1].Start;
            refreshes[k] = (Math.Min(issued + untilWindow, calls[k].Start), calls[k].End + margin);
        }

        // A stalled request that finished just after a token call answered was waiting for it; other stalls are
        // the thread being descheduled or a garbage collection.
        var stallTicks = Stopwatch.Frequency * 15 / 1000;
        bool EndedWithCall(int i) => calls.Any(c => starts[i] + services[i] >= c.End && starts[i] + services[i] <= c.End + margin);
        var stalls = new Dictionary<bool, (int Stalled, int Waited)> { [false] = (0, 0), [true] = (0, 0) };
        var steadyService = new List<long>(count);
        var duringService = new List<long>();
        var r = 0;
        for (var i = 0; i < count; i++)
        {
            while (r < refreshes.Length && refreshes[r].End < starts[i])
            {
                r++;
            }

            var during = r < refreshes.Length && starts[i] >= refreshes[r].Start;
            if (services[i] >= stallTicks)
            {
                var (stalled, waited) = stalls[during];
                stalls[during] = (stalled + 1, waited + (EndedWithCall(i) ? 1 : 0));
            }

            if (during)
            {
                duringService.Add(services[i]);
            }
            else
            {
                steadyService.Add(services[i]);
            }
        }

        var steadyStats = Print(scenario, count, tokenEndpoint.Calls, notOk, "steady state", steadyService, stalls[false]);
        var duringStats = Print(scenario, count, tokenEndpoint.Calls, notOk, "during a refresh", duringService, stalls[true]);
        return (steadyStats, duringStats);
    }

    private static double Print(string scenario, int requests, int tokenCalls, int notOk, string group, List<long> ticks, (int Stalled, int Waited) stalls)
    {
        ticks.Sort();
        double Us(double q) => ticks.Count == 0 ? double.NaN : ticks[Math.Min(ticks.Count - 1, (int)Math.Ceiling(q * ticks.Count) - 1)] * 1e6 / Stopwatch.Frequency;
        var requestsText = notOk == 0 ? requests.ToString(CultureInfo.InvariantCulture) : $"{requests} ({notOk} not 200)";
        Console.WriteLine(FormattableString.Invariant($"| {scenario} | {requestsText} | {tokenCalls} | {group} | {ticks.Count} | {Us(0.50):F2} | {Us(0.90):F2} | {Us(0.99):F2} | {Us(0.999):F1} | {Us(1.0):F0} | {stalls.Stalled} ({stalls.Waited}) |"));
        return Us(0.99);
    }

    private static bool Send(HttpMessageInvoker invoker)
    {
        using var response = invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, Fixture.ApiUri), CancellationToken.None).GetAwaiter().GetResult();
        return response.StatusCode == System.Net.HttpStatusCode.OK;
    }
}
