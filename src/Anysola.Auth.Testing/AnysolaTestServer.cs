using System.Net;
using Anysola.Auth.Testing.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anysola.Auth.Testing;

/// <summary>
/// A local Anysola server on Kestrel (<c>http://127.0.0.1:&lt;free port&gt;/</c>) for tests and demos: the device
/// authorization grant with a real verification page, strict refresh-token rotation with reuse detection,
/// revocation, userinfo, workspaces, roles and scopes, the agents API, a request journal and fault injection.
/// </summary>
/// <remarks>All members are thread-safe. Dispose the server to stop it.</remarks>
public sealed class AnysolaTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ServerState _state;
    private readonly RequestJournal _journal;
    private readonly CancellationTokenSource _stopping;
    private int _disposed;

    private AnysolaTestServer(
        WebApplication app,
        AnysolaTestServerOptions options,
        ServerState state,
        RequestJournal journal,
        AnysolaFaultInjector faults,
        CancellationTokenSource stopping,
        Uri baseAddress)
    {
        _app = app;
        Options = options;
        _state = state;
        _journal = journal;
        Faults = faults;
        _stopping = stopping;
        BaseAddress = baseAddress;
    }

    /// <summary>The server's address, <c>http://127.0.0.1:&lt;port&gt;/</c>, with a trailing slash.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The server's settings; changes take effect on the next request.</summary>
    public AnysolaTestServerOptions Options { get; }

    /// <summary>Every request received so far, in order of completion (a snapshot).</summary>
    public IReadOnlyList<AnysolaJournalEntry> Journal => _journal.Snapshot();

    /// <summary>Queues failures to inject into the server's answers.</summary>
    public AnysolaFaultInjector Faults { get; }

    /// <summary>Starts a server on <c>127.0.0.1</c> and a free port.</summary>
    /// <param name="options">The settings; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server.</returns>
    public static async Task<AnysolaTestServer> StartAsync(
        AnysolaTestServerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new AnysolaTestServerOptions();
        var journal = new RequestJournal();
        var faults = new AnysolaFaultInjector();
        var state = new ServerState(options);
        var stopping = new CancellationTokenSource();

        // An empty builder reads no appsettings, environment variables or command line, so the server behaves the
        // same whatever directory or environment the test runner starts in.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(AnysolaTestServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, 0);
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(options.LoggerFactory ?? NullLoggerFactory.Instance);
        // No console lifetime: a test server must not hook Ctrl+C or SIGTERM of the process hosting it.
        builder.Services.AddSingleton<IHostLifetime, QuietHostLifetime>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(2));

        var app = builder.Build();
        var dispatcher = new RequestDispatcher(options, state, journal, faults, stopping.Token);
        ((IApplicationBuilder)app).Run(dispatcher.HandleAsync);

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            stopping.Dispose();
            throw;
        }

        var bound = app.Urls.Select(url => new Uri(url)).First();
        var baseAddress = new Uri($"http://127.0.0.1:{bound.Port}/");
        state.BaseAddress = baseAddress;
        return new AnysolaTestServer(app, options, state, journal, faults, stopping, baseAddress);
    }

    /// <summary>Starts a server on <c>127.0.0.1</c> and a free port.</summary>
    /// <param name="configure">Adjusts the default settings.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server.</returns>
    public static Task<AnysolaTestServer> StartAsync(
        Action<AnysolaTestServerOptions> configure,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new AnysolaTestServerOptions();
        configure(options);
        return StartAsync(options, cancellationToken);
    }

    /// <summary>
    /// Approves a pending device authorization, as if <paramref name="user"/> had picked <paramref name="workspace"/>
    /// on the verification page and clicked <b>Authorize CLI</b>. The granted scopes are the requested ones that the
    /// user's role in that workspace allows.
    /// </summary>
    /// <param name="userCode">The user code, as shown (case, dash and spaces do not matter).</param>
    /// <param name="workspace">The workspace slug: <c>acme</c> or <c>globex</c>.</param>
    /// <param name="user">The approving user: <c>ada</c>, <c>max</c> or <c>val</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the approval is recorded.</returns>
    /// <exception cref="InvalidOperationException">
    /// The code is unknown, expired or already approved or denied, or the user is not a member of the workspace.
    /// </exception>
    public Task ApproveAsync(string userCode, string workspace = "acme", string user = "ada", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userCode);
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(user);
        cancellationToken.ThrowIfCancellationRequested();
        _state.Approve(userCode, workspace, user);
        return Task.CompletedTask;
    }

    /// <summary>Denies a pending device authorization, as if the person had clicked <b>Deny</b>.</summary>
    /// <param name="userCode">The user code, as shown.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the denial is recorded.</returns>
    /// <exception cref="InvalidOperationException">The code is unknown, expired or already approved or denied.</exception>
    public Task DenyAsync(string userCode, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userCode);
        cancellationToken.ThrowIfCancellationRequested();
        _state.Deny(userCode);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Waits for a device authorization: completes with the user code of the oldest one still pending, or else of
    /// the next one started. Lets a test approve a login that code under test starts.
    /// </summary>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>The user code.</returns>
    public Task<string> WaitForUserCodeAsync(CancellationToken cancellationToken = default)
        => _state.WaitForUserCodeAsync(cancellationToken);

    /// <summary>Empties the <see cref="Journal"/>.</summary>
    public void ClearJournal() => _journal.Clear();

    /// <summary>Counts the journal's requests to one endpoint, optionally of one grant type.</summary>
    /// <param name="endpoint">One of <see cref="AnysolaTestEndpoints"/>.</param>
    /// <param name="grantType">
    /// When set, only token requests with this <c>grant_type</c>; the short form <c>device_code</c> matches
    /// <c>urn:ietf:params:oauth:grant-type:device_code</c>.
    /// </param>
    /// <returns>How many such requests the server received.</returns>
    public int CountRequests(string endpoint, string? grantType = null) => _journal.Count(endpoint, grantType);

    /// <summary>Revokes every active session with all its tokens, as an admin could from the dashboard.</summary>
    /// <returns>How many sessions were revoked.</returns>
    public int RevokeAllSessions() => _state.RevokeAllSessions();

    /// <summary>Tells whether the server would accept this refresh token now.</summary>
    /// <param name="refreshToken">The refresh token.</param>
    /// <returns><see langword="true"/> when a refresh with it would succeed now.</returns>
    public bool IsRefreshTokenActive(string refreshToken)
    {
        ArgumentNullException.ThrowIfNull(refreshToken);
        return _state.IsRefreshTokenActive(refreshToken);
    }

    /// <summary>Stops the server, aborting requests still in flight.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _state.CancelWaiters();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await _app.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Shutdown gave up on slow connections; disposing below closes them anyway.
            }
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
