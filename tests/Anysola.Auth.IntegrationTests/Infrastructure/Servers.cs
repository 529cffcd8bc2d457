using Anysola.Auth.Testing;

namespace Anysola.Auth.IntegrationTests.Infrastructure;

/// <summary>Starts the local Anysola server with settings that keep tests fast.</summary>
internal static class Servers
{
    /// <summary>A polling interval short enough that a login takes milliseconds, not seconds.</summary>
    public static readonly TimeSpan FastPolling = TimeSpan.FromSeconds(0.05);

    public static Task<AnysolaTestServer> StartAsync(Action<AnysolaTestServerOptions>? configure = null) =>
        AnysolaTestServer.StartAsync(
            options =>
            {
                options.PollingInterval = FastPolling;
                options.DeviceCodeLifetime = TimeSpan.FromMinutes(2);
                configure?.Invoke(options);
            },
            CancellationToken.None).WaitAsync(TestTimeouts.Operation);

    /// <summary>The journal outcomes of one endpoint, in order.</summary>
    public static IReadOnlyList<string> Outcomes(this AnysolaTestServer server, string endpoint) =>
        server.Journal.Where(e => e.Endpoint == endpoint).Select(e => e.Outcome).ToList();
}
