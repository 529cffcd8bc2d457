using Anysola.Auth.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Anysola.Auth.Sample;

/// <summary>
/// Everything one command needs, composed the way an app would: <c>AddAnysolaAuth</c> for the token manager and
/// the default file token store, <c>AddAnysolaApiClient</c> for API calls. With <c>--local</c> (and for
/// <c>demo</c>) it also runs the local Anysola server in this process, with a throwaway config directory so the
/// real credentials are never touched.
/// </summary>
internal sealed class AnysolaSession : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly string? _temporaryConfigDirectory;
    private readonly string? _previousConfigDirectory;

    private AnysolaSession(ServiceProvider services, Uri server, AnysolaTestServer? localServer, string? temporaryConfigDirectory, string? previousConfigDirectory)
    {
        _services = services;
        _temporaryConfigDirectory = temporaryConfigDirectory;
        _previousConfigDirectory = previousConfigDirectory;
        Server = server;
        LocalServer = localServer;
        Tokens = services.GetRequiredService<TokenManager>();
        Time = services.GetRequiredService<TimeProvider>();
    }

    public Uri Server { get; }

    /// <summary>How the server is named in messages: <c>anysola.com</c>, <c>127.0.0.1:5123</c>.</summary>
    public string Host => Server.Authority;

    public AnysolaTestServer? LocalServer { get; }

    public bool IsLocal => LocalServer is not null;

    public TokenManager Tokens { get; }

    public TimeProvider Time { get; }

    /// <summary>The token file, when the store is the default <see cref="FileTokenStore"/>.</summary>
    public string? TokenFile => (Tokens.Store as FileTokenStore)?.Path;

    /// <summary>The Anysola API client: base address set, bearer token attached, 401 refreshed once, 429/5xx retried.</summary>
    public HttpClient CreateApiClient() =>
        _services.GetRequiredService<IHttpClientFactory>().CreateClient(AnysolaAuthServiceCollectionExtensions.DefaultApiClientName);

    public static async Task<AnysolaSession> StartAsync(Uri? server, bool verbose, Action<AnysolaAuthOptions>? configure, CancellationToken cancellationToken)
    {
        AnysolaTestServer? localServer = null;
        string? temporaryDirectory = null;
        var previousDirectory = Environment.GetEnvironmentVariable(FileTokenStore.ConfigDirectoryVariable);
        if (server is null)
        {
            // FileTokenStore.DefaultPath honours ANYSOLA_CONFIG_DIR, so this points the default store at the sandbox.
            temporaryDirectory = Directory.CreateTempSubdirectory("anysola-").FullName;
            Environment.SetEnvironmentVariable(FileTokenStore.ConfigDirectoryVariable, temporaryDirectory);
            localServer = await AnysolaTestServer.StartAsync(
                options =>
                {
                    options.AutoApproveWorkspace = "acme";
                    options.PollingInterval = TimeSpan.FromSeconds(1);
                },
                cancellationToken);
            server = localServer.BaseAddress;
        }

        var services = new ServiceCollection();
        services.AddLogging(logging =>
        {
            // Off by default. --verbose shows the library's own logs, which never contain tokens or codes.
            if (verbose)
            {
                logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Anysola", LogLevel.Debug);
                logging.AddSimpleConsole(options =>
                {
                    options.SingleLine = true;
                    options.TimestampFormat = "HH:mm:ss.fff ";
                    options.ColorBehavior = Console.IsErrorRedirected ? LoggerColorBehavior.Disabled : LoggerColorBehavior.Default;
                });
                logging.Services.Configure<ConsoleLoggerOptions>(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
            }
        });
        services.AddAnysolaAuth(options =>
        {
            options.BaseAddress = server;
            foreach (var scope in Commands.AuthCommands.DefaultScopes)
            {
                options.Scopes.Add(scope);
            }

            configure?.Invoke(options);
        });
        services.AddAnysolaApiClient();

        return new AnysolaSession(services.BuildServiceProvider(), server, localServer, temporaryDirectory, previousDirectory);
    }

    /// <summary>With <c>--local</c> every command starts signed out; sign in at once (the local server approves by itself).</summary>
    public async Task SignInToLocalServerAsync(CancellationToken cancellationToken)
    {
        await Tokens.LoginAsync(static (_, _) => Task.CompletedTask, cancellationToken);
        Terminal.Ui.Stderr.Notice($"Signed in to the local server at {Server} (it approves every login by itself).");
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        if (LocalServer is not null)
        {
            await LocalServer.DisposeAsync();
        }

        if (_temporaryConfigDirectory is not null)
        {
            Environment.SetEnvironmentVariable(FileTokenStore.ConfigDirectoryVariable, _previousConfigDirectory);
            Directory.Delete(_temporaryConfigDirectory, recursive: true);
        }
    }
}
