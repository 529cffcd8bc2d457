using BenchmarkDotNet.Attributes;

namespace Anysola.Auth.Benchmarks;

/// <summary>
/// One request through an <see cref="HttpMessageInvoker"/> pipeline whose terminal handler returns a cached,
/// completed 200, so the table shows only what each handler adds. Every case builds one fresh
/// <see cref="HttpRequestMessage"/> per call (as HttpClient callers do) for the same absolute URI.
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private HttpMessageInvoker _noOp = null!;
    private HttpMessageInvoker _staticHeader = null!;
    private HttpMessageInvoker _anysola = null!;
    private HttpMessageInvoker _duende = null!;

    [GlobalSetup]
    public void Setup()
    {
        var terminal = new StaticOkHandler();
        _noOp = new HttpMessageInvoker(new NoOpHandler(terminal), disposeHandler: false);
        _staticHeader = new HttpMessageInvoker(new StaticHeaderHandler(terminal), disposeHandler: false);

        var tokenEndpoint = new FakeTokenEndpoint();
        var options = Fixture.Options();
        var manager = new TokenManager(new HttpClient(tokenEndpoint), new InMemoryTokenStore(Fixture.LongLived()), options);

        // The first call reads the store and caches the token; every measured call then takes the cached path.
        _ = manager.GetAccessTokenAsync().AsTask().GetAwaiter().GetResult();
        _anysola = new HttpMessageInvoker(new AnysolaBearerTokenHandler(manager, options) { InnerHandler = terminal }, disposeHandler: false);

        var peer = Peer.Handler(Peer.Client(tokenEndpoint), Fixture.HotAccessToken, Fixture.HotRefreshToken, terminal);
        _duende = new HttpMessageInvoker(peer, disposeHandler: false);

        foreach (var invoker in new[] { _noOp, _staticHeader, _anysola, _duende })
        {
            using var response = Send(invoker);
            if (response.StatusCode != System.Net.HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"Warm-up request answered {response.StatusCode}.");
            }
        }

        if (tokenEndpoint.Calls != 0)
        {
            throw new InvalidOperationException("The hot path must not call the token endpoint.");
        }
    }

    [Benchmark(Baseline = true, Description = "No-op DelegatingHandler (floor)")]
    public HttpResponseMessage NoOp() => Send(_noOp);

    [Benchmark(Description = "Constant bearer header (reference)")]
    public HttpResponseMessage StaticHeader() => Send(_staticHeader);

    [Benchmark(Description = "AnysolaBearerTokenHandler, cached token")]
    public HttpResponseMessage Anysola() => Send(_anysola);

    [Benchmark(Description = "Duende RefreshTokenDelegatingHandler (peer)")]
    public HttpResponseMessage Duende() => Send(_duende);

    // Every case completes synchronously (the terminal handler's task is already complete), so blocking adds nothing.
    private static HttpResponseMessage Send(HttpMessageInvoker invoker) =>
        invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, Fixture.ApiUri), CancellationToken.None).GetAwaiter().GetResult();
}
