using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Anysola.Auth.Benchmarks;

/// <summary>
/// BenchmarkDotNet's switcher (every normal argument works: --filter, --job, --list, --exporters, ...) plus:
/// <c>--short</c> (BenchmarkDotNet's ShortRun job, a few minutes in all; also shortens the modes below), and four
/// modes of their own: <c>--storm-report</c> (storm wall times and token-call counts with a plain stopwatch),
/// <c>--refresh-ahead</c> (latency percentiles across refresh windows), <c>--loopback-report</c>
/// (interleaved loopback throughput) and <c>--breakdown</c> (the hot path's bytes and time, piece by piece).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var rest = args.ToList();
        var quick = rest.Remove("--short");
        if (rest.Remove("--refresh-ahead"))
        {
            return RefreshAheadReport.Run(quick);
        }

        if (rest.Remove("--storm-report"))
        {
            return StormReport.Run(quick);
        }

        if (rest.Remove("--loopback-report"))
        {
            return LoopbackReport.Run(quick);
        }

        if (rest.Remove("--breakdown"))
        {
            return BreakdownReport.Run();
        }

        // In-process: BenchmarkDotNet's default toolchain generates and builds a project of its own, which would
        // rebuild the library outside the caller's --artifacts-path. The storm counts are also read in-process.
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsMutator());
        if (quick)
        {
            config.AddJob(Job.ShortRun);
        }

        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run([.. rest], config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
