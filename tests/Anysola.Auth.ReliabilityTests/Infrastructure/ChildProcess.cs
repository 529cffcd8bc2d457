using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace Anysola.Auth.ReliabilityTests.Infrastructure;

/// <summary>
/// One running Anysola.Auth.TestChild (the DLL the project reference copies next to the tests): stdout read line by
/// line, stdin held open (the child exits when it closes), SIGKILLed on dispose.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(20);
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

    public static string ChildDll { get; } = Path.Combine(AppContext.BaseDirectory, "Anysola.Auth.TestChild.dll");

    public int Id => _process.Id;

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
        if (!File.Exists(ChildDll))
        {
            throw new FileNotFoundException("The TestChild build output is missing next to the tests.", ChildDll);
        }

        var info = new ProcessStartInfo(DotnetHost())
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

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        return new ChildProcess(Process.Start(info) ?? throw new InvalidOperationException("The child process did not start."));
    }

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

    /// <summary>SIGKILL, then every line printed before the kill that was not read yet.</summary>
    public async Task<IReadOnlyList<string>> KillAsync()
    {
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        catch (Win32Exception)
        {
        }

        await _process.WaitForExitAsync().WaitAsync(ExitBound);
        await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(ExitBound);
        var rest = new List<string>();
        while (_lines.Reader.TryRead(out var line))
        {
            rest.Add(line);
        }

        return rest;
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

    private static string DotnetHost()
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
