using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Anysola.Auth.Sample.Tests;

/// <summary>What one run of the sample printed and returned.</summary>
internal sealed record SampleResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// Runs the built sample (anysola.dll, copied here by the ProjectReference) as a real process with the dotnet host,
/// with stdin, stdout and stderr redirected (so it is not on a terminal), its own config directory, and a bound
/// on how long it may take.
/// </summary>
internal static class SampleProcess
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(60);

    public static string SamplePath { get; } = Path.Combine(AppContext.BaseDirectory, "anysola.dll");

    public static Task<SampleResult> RunAsync(string configDirectory, params string[] arguments) =>
        RunAsync(configDirectory, arguments, environment: null, interruptWhenStderrShows: null);

    /// <param name="configDirectory">ANYSOLA_CONFIG_DIR for the process.</param>
    /// <param name="arguments">The command line after <c>anysola</c>.</param>
    /// <param name="environment">Extra environment variables.</param>
    /// <param name="interruptWhenStderrShows">When a line of stderr contains this, send SIGINT (Ctrl+C).</param>
    public static async Task<SampleResult> RunAsync(string configDirectory, string[] arguments, IReadOnlyDictionary<string, string>? environment, string? interruptWhenStderrShows)
    {
        Assert.True(File.Exists(SamplePath), $"The sample was not copied to the test output: {SamplePath}");
        Assert.True(File.Exists(Path.ChangeExtension(SamplePath, ".runtimeconfig.json")), "The sample's runtimeconfig.json was not copied to the test output.");

        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(SamplePath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ANYSOLA_CONFIG_DIR"] = configDirectory;
        start.Environment.Remove("ANYSOLA_BASE_URL");
        start.Environment.Remove("DISPLAY");
        start.Environment.Remove("WAYLAND_DISPLAY");
        start.Environment["BROWSER"] = "none";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = new Process { StartInfo = start };
        using var timeout = new CancellationTokenSource(_timeout);
        try
        {
            process.Start();
            process.StandardInput.Close(); // no stdin: the sample must never wait for input
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = ReadLinesAsync(process, interruptWhenStderrShows, timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return new SampleResult(process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>Reads stderr line by line (lines joined with \n), sending SIGINT when a line contains <paramref name="interruptWhen"/>.</summary>
    private static async Task<string> ReadLinesAsync(Process process, string? interruptWhen, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        while (await process.StandardError.ReadLineAsync(cancellationToken) is { } line)
        {
            text.Append(line).Append('\n');
            if (interruptWhen is not null && line.Contains(interruptWhen, StringComparison.Ordinal))
            {
                const int sigint = 2;
                Assert.Equal(0, Kill(process.Id, sigint));
                interruptWhen = null;
            }
        }

        return text.ToString();
    }

    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        return Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
