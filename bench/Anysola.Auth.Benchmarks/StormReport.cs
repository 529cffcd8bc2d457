using System.Diagnostics;
using System.Globalization;

namespace Anysola.Auth.Benchmarks;

/// <summary>
/// <c>--storm-report</c>: runs each refresh storm of <see cref="RefreshStormBenchmarks"/> a few times with a plain
/// stopwatch and prints wall time, token-endpoint calls and failed requests per storm. A cross-check on the
/// BenchmarkDotNet run, with the counts and times of the same storms side by side.
/// </summary>
internal static class StormReport
{
    public static int Run(bool quick)
    {
        var storms = quick ? 3 : 5;
        Console.WriteLine($"Refresh storms: {storms} storms per case after one warm-up storm; token endpoint latency 20 ms.");
        Console.WriteLine();
        Console.WriteLine("| Case | N | Wall time per storm, min / median / max (ms) | Token calls per storm | Non-200 per storm |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var n in new[] { 1, 100, 1000 })
        {
            var bench = new RefreshStormBenchmarks { N = n };
            Measure(bench, "Anysola: expired token", bench.SetupAnysolaExpired, bench.AnysolaExpired, storms);
            Measure(bench, "Anysola: 401 on a cached token", bench.SetupAnysolaRejected, bench.AnysolaRejected, storms);
            Measure(bench, "Duende peer: 401", bench.SetupDuendeRejected, bench.DuendeRejected, storms);
        }

        return 0;
    }

    private static void Measure(RefreshStormBenchmarks bench, string name, Action setup, Func<Task> storm, int storms)
    {
        var times = new List<double>();
        var calls = new List<int>();
        var notOk = new List<int>();
        for (var i = 0; i <= storms; i++)
        {
            setup();
            var start = Stopwatch.GetTimestamp();
            storm().GetAwaiter().GetResult();
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var (stormCalls, stormNotOk) = bench.LastStorm;
            bench.Cleanup();
            if (i > 0)
            {
                times.Add(elapsed);
                calls.Add(stormCalls);
                notOk.Add(stormNotOk);
            }
        }

        times.Sort();
        static string Range(List<int> values) => values.Min() == values.Max() ? $"{values.Min()}" : $"{values.Min()}-{values.Max()}";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {bench.N} | {times[0]:F1} / {times[times.Count / 2]:F1} / {times[^1]:F1} | {Range(calls)} | {Range(notOk)} |"));
    }
}
