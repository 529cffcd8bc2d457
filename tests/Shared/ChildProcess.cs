using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace Anysola.Auth.Tests.Shared;

/// <summary>
/// One running Anysola.Auth.TestChild, shared by the integration and reliability suites: started with the dotnet
/// host on the DLL copied next to the tests, its stdout read line by line, stdin held open (the child exits when it
/// closes), killed on dispose.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(15);
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _stderr = new();
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;

    private ChildProcess(Process process)
    {
        _process = process;
        _stdoutPump = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                _lines.Writer.TryWrite(line);
            }

            _lines.Writer.TryComplete();
        });
        _stderrPump = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(line);
                }
            }
        });
    }

    /// <summary>The TestChild DLL, copied next to the tests by the project reference.</summary>
    public static string ChildDll { get; } = Path.Combine(AppContext.BaseDirectory, "Anysola.Auth.TestChild.dll");

    /// <summary>The dotnet host that runs the child: the one running the tests, so the runtime matches.</summary>
    public static string DotnetHost { get; } = FindDotnetHost();

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static ChildProcess Start(params string[] arguments)
    {
        if (!File.Exists(ChildDll) || !File.Exists(Path.ChangeExtension(ChildDll, ".runtimeconfig.json")))
        {
            throw new FileNotFoundException($"The TestChild build output is missing from {AppContext.BaseDirectory}; the project reference should copy the DLL and its runtimeconfig.json.", ChildDll);
        }

        var info = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(ChildDll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Quiet, deterministic children: no first-run banners or telemetry from the host.
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        var process = Process.Start(info) ?? throw new InvalidOperationException("The child process did not start.");
        return new ChildProcess(process);
    }

    /// <summary>The next line the child prints, failing (with its stderr) if none comes within <paramref name="timeout"/>.</summary>
    public async Task<string> ReadLineAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _lines.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Child {Id} printed nothing within {timeout}. stderr: {StandardError}");
        }
        catch (ChannelClosedException)
        {
            await _process.WaitForExitAsync().WaitAsync(ExitBound);
            throw new InvalidOperationException($"Child {Id} exited with code {_process.ExitCode} before printing. stderr: {StandardError}");
        }
    }

    /// <summary>Waits (bounded) for the child to exit by itself, then returns the lines it printed that were not read.</summary>
    public async Task<IReadOnlyList<string>> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return await DrainAsync();
    }

    /// <summary>SIGKILL on Unix (TerminateProcess on Windows), then every line printed before the kill that was not read.</summary>
    public async Task<IReadOnlyList<string>> KillAsync()
    {
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (Win32Exception)
        {
            // Exiting as we asked.
        }

        await _process.WaitForExitAsync().WaitAsync(ExitBound);
        return await DrainAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await KillAsync();
            }
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            // Disposal must not hide the test's own failure.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private async Task<IReadOnlyList<string>> DrainAsync()
    {
        // The pipe still holds whatever the child wrote before it died; the pump reads it to EOF.
        await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(ExitBound);
        var rest = new List<string>();
        while (_lines.Reader.TryRead(out var line))
        {
            rest.Add(line);
        }

        return rest;
    }

    private static string FindDotnetHost()
    {
        var fromCli = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromCli) && File.Exists(fromCli))
        {
            return fromCli;
        }

        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return current;
        }

        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        var candidate = root is null ? null : Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return candidate is not null && File.Exists(candidate) ? candidate : "dotnet";
    }
}
