using System.Diagnostics;
using System.Globalization;

namespace Anysola.Auth.Benchmarks;

/// <summary>
/// <c>--loopback-report</c>: the loopback comparison made robust against a busy machine. Batches of each client
/// run in turn, in a rotating order, so all see the same background load; the report gives each client's median
/// throughput and the median of the per-round ratios.
/// </summary>
internal static class LoopbackReport
{
    public static int Run(bool quick)
    {
        var rounds = quick ? 40 : 120;
        Console.WriteLine($"Loopback throughput: {rounds} rounds; each round runs every client for 8 batches of 16 GETs, in an order that rotates every round.");
        Console.WriteLine("Reference clients: a no-op DelegatingHandler (the cost of one more handler) and a constant bearer header (the cost of the header on the wire and in Kestrel).");
        Console.WriteLine();
        Console.WriteLine("| Concurrency | No auth (req/s) | + no-op handler | + constant header | AnysolaBearerTokenHandler | Anysola / no auth (median of rounds) |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
        var worst = double.MaxValue;
        foreach (var concurrency in new[] { 1, 16 })
        {
            var bench = new LoopbackBenchmarks { Concurrency = concurrency };
            bench.Setup();
            try
            {
                Func<Task>[] clients = [bench.Unauthenticated, bench.NoOpHandler, bench.StaticHeader, bench.Authenticated];
                for (var i = 0; i < 20; i++)
                {
                    foreach (var client in clients)
                    {
                        client().GetAwaiter().GetResult();
                    }
                }

                var results = clients.Select(_ => new List<double>()).ToArray();
                var ratios = new List<double>();
                for (var round = 0; round < rounds; round++)
                {
                    var sample = new double[clients.Length];
                    for (var j = 0; j < clients.Length; j++)
                    {
                        var which = (j + round) % clients.Length;
                        sample[which] = Throughput(clients[which]);
                    }

                    for (var j = 0; j < clients.Length; j++)
                    {
                        results[j].Add(sample[j]);
                    }

                    ratios.Add(sample[3] / sample[0]);
                }

                var ratio = Median(ratios);
                worst = Math.Min(worst, ratio);
                var medians = results.Select(Median).ToArray();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {concurrency} | {medians[0]:F0} | {medians[1]:F0} ({medians[1] / medians[0]:F3}) | {medians[2]:F0} ({medians[2] / medians[0]:F3}) | {medians[3]:F0} ({medians[3] / medians[0]:F3}) | {ratio:F3} |"));
            }
            finally
            {
                bench.Cleanup();
            }
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Lowest Anysola / no auth ratio {worst:F3} (target >= 0.95): {(worst >= 0.95 ? "met" : "NOT met")}"));
        return 0;
    }

    private static double Throughput(Func<Task> batch)
    {
        const int Batches = 8;
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < Batches; i++)
        {
            batch().GetAwaiter().GetResult();
        }

        return Batches * LoopbackBenchmarks.Batch / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }
}
