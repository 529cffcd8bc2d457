using System.Net.Http.Headers;
using Anysola.Auth.Testing;

namespace Anysola.Auth.IntegrationTests.Infrastructure;

/// <summary>Builds SDK clients that talk to a local server over real loopback HTTP.</summary>
internal static class Clients
{
    public static AnysolaAuthOptions Options(AnysolaTestServer server, Action<AnysolaAuthOptions>? configure = null)
    {
        var options = new AnysolaAuthOptions
        {
            BaseAddress = server.BaseAddress,
            CliLabel = "integration-tests",
            RequestTimeout = TimeSpan.FromSeconds(10),
            RefreshTimeout = TimeSpan.FromSeconds(15),
        };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>A plain HttpClient to the server, optionally watched by <paramref name="observer"/> (which only counts).</summary>
    public static HttpClient Http(AnysolaTestServer server, RequestObserver? observer = null)
    {
        HttpMessageHandler handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) };
        if (observer is not null)
        {
            observer.InnerHandler = handler;
            handler = observer;
        }

        return new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TestTimeouts.Operation };
    }

    /// <summary>An HttpClient for the Anysola API that carries the bearer handler, as an app would build it by hand.</summary>
    public static HttpClient Api(AnysolaTestServer server, TokenManager manager, AnysolaAuthOptions options) =>
        new(new AnysolaBearerTokenHandler(manager, options) { InnerHandler = new SocketsHttpHandler() })
        {
            BaseAddress = server.BaseAddress,
            Timeout = TestTimeouts.Operation,
        };

    /// <summary>Logs in, approving from the callback as the person would in the browser.</summary>
    public static Task<TokenSet> LoginApprovingAsync(
        this TokenManager manager,
        AnysolaTestServer server,
        CancellationToken cancellationToken,
        string workspace = "acme",
        string user = "ada") =>
        manager.LoginAsync((authorization, ct) => server.ApproveAsync(authorization.UserCode, workspace, user, ct), cancellationToken);

    /// <summary>GET /api/agents with an explicit bearer token, bypassing the SDK.</summary>
    public static async Task<HttpResponseMessage> GetAgentsWithTokenAsync(this HttpClient http, string accessToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/agents");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return await http.SendAsync(request, cancellationToken);
    }
}

/// <summary>
/// Watches requests on their way through (it changes nothing): counts responses per path and signals when a count
/// is reached, so a test can act after, say, the third poll without sleeping.
/// </summary>
internal sealed class RequestObserver : DelegatingHandler
{
    private readonly object _gate = new();
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly List<(string Path, int Count, TaskCompletionSource Signal)> _waiters = [];

    public int Count(string path)
    {
        lock (_gate)
        {
            return _counts.GetValueOrDefault(path);
        }
    }

    /// <summary>Completes once <paramref name="count"/> responses to <paramref name="path"/> have been received.</summary>
    public Task WhenCount(string path, int count)
    {
        lock (_gate)
        {
            if (_counts.GetValueOrDefault(path) >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((path, count, signal));
            return signal.Task;
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var path = request.RequestUri!.AbsolutePath;
        lock (_gate)
        {
            var count = _counts[path] = _counts.GetValueOrDefault(path) + 1;
            foreach (var waiter in _waiters.Where(w => w.Path == path && count >= w.Count).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Signal.TrySetResult();
            }
        }

        return response;
    }
}
