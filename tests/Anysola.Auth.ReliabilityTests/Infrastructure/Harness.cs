using System.Net;
using Anysola.Auth.Testing;

namespace Anysola.Auth.ReliabilityTests.Infrastructure;

/// <summary>Shared set-up: a local server, options for it, a temporary store directory, a logged-in session.</summary>
public static class Harness
{
    /// <summary>Short enough that injected delays and trickles exceed it by a wide margin, long enough for a loaded machine.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The most any single operation under test may take before it counts as a hang.</summary>
    public static readonly TimeSpan HangBound = TimeSpan.FromSeconds(90);

    public static Task<AnysolaTestServer> StartServerAsync(Action<AnysolaTestServerOptions>? configure = null) =>
        AnysolaTestServer.StartAsync(o =>
        {
            o.AutoApproveWorkspace = "acme";
            o.PollingInterval = TimeSpan.FromMilliseconds(20);
            o.EnforcePollingInterval = false;
            configure?.Invoke(o);
        });

    public static AnysolaAuthOptions Options(Uri baseAddress, int maxRetryAttempts = 1, TimeSpan? requestTimeout = null) => new()
    {
        BaseAddress = baseAddress,
        CliLabel = "reliability-suite",
        MaxRetryAttempts = maxRetryAttempts,
        RequestTimeout = requestTimeout ?? RequestTimeout,
    };

    public static HttpClient PlainClient() => new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) });

    public static DirectoryInfo TempDirectory(string prefix) => Directory.CreateTempSubdirectory("anysola-rel-" + prefix + "-");

    /// <summary>Logs in through the device flow (the server approves at once) and returns the issued tokens.</summary>
    public static async Task<TokenSet> LoginAsync(TokenManager manager) =>
        await manager.LoginAsync(static (_, _) => Task.CompletedTask).WaitAsync(HangBound);

    public static async Task<T> Bounded<T>(Task<T> task) => await task.WaitAsync(HangBound);

    public static async Task Bounded(Task task) => await task.WaitAsync(HangBound);

    public static void TryDelete(DirectoryInfo directory)
    {
        try
        {
            directory.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and < 300;
}
