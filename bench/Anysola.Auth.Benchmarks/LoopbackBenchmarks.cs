using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Anysola.Auth.Benchmarks;

/// <summary>
/// Real HTTP/1.1 GETs to a Kestrel endpoint on 127.0.0.1, with and without <see cref="AnysolaBearerTokenHandler"/>
/// (valid cached token). Each invocation sends <see cref="Batch"/> requests, either one after another or all at
/// once; the mean is per request, so throughput is its inverse.
/// </summary>
[MemoryDiagnoser]
public class LoopbackBenchmarks
{
    internal const int Batch = 16;
    private WebApplication _app = null!;
    private HttpClient _plain = null!;
    private HttpClient _authenticated = null!;
    private HttpClient _noOp = null!;
    private HttpClient _staticHeader = null!;
    private Uri _uri = null!;

    [Params(1, Batch)]
    public int Concurrency { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();

        // The endpoint does the same work for both cases; it reports whether a bearer header arrived so setup can check it.
        _app.MapGet("/api/agents", static (HttpContext context) =>
            context.Request.Headers.Authorization.Count > 0 ? Results.Text("[\"a\"]", "application/json") : Results.Text("[\"-\"]", "application/json"));
        _app.StartAsync().GetAwaiter().GetResult();
        var baseAddress = new Uri(_app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/");
        _uri = new Uri(baseAddress, "api/agents");

        _plain = new HttpClient(new SocketsHttpHandler());
        var options = Fixture.Options(baseAddress);
        var manager = new TokenManager(new HttpClient(new FakeTokenEndpoint()), new InMemoryTokenStore(Fixture.LongLived()), options);
        _ = manager.GetAccessTokenAsync().AsTask().GetAwaiter().GetResult();
        _authenticated = new HttpClient(new AnysolaBearerTokenHandler(manager, options) { InnerHandler = new SocketsHttpHandler() });

        _noOp = new HttpClient(new NoOpHandler(new SocketsHttpHandler()));
        _staticHeader = new HttpClient(new StaticHeaderHandler(new SocketsHttpHandler()));

        Check(_plain, "[\"-\"]");
        Check(_noOp, "[\"-\"]");
        Check(_staticHeader, "[\"a\"]");
        Check(_authenticated, "[\"a\"]");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plain.Dispose();
        _authenticated.Dispose();
        _noOp.Dispose();
        _staticHeader.Dispose();
        _app.StopAsync().GetAwaiter().GetResult();
        _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "GET, no auth")]
    public Task Unauthenticated() => RunAsync(_plain);

    [Benchmark(OperationsPerInvoke = Batch, Description = "GET via AnysolaBearerTokenHandler")]
    public Task Authenticated() => RunAsync(_authenticated);

    /// <summary>The same batch through a no-op DelegatingHandler (reference for the report).</summary>
    internal Task NoOpHandler() => RunAsync(_noOp);

    /// <summary>The same batch with a constant bearer header and no token management (reference for the report).</summary>
    internal Task StaticHeader() => RunAsync(_staticHeader);

    private void Check(HttpClient client, string expected)
    {
        var body = client.GetStringAsync(_uri).GetAwaiter().GetResult();
        if (body != expected)
        {
            throw new InvalidOperationException($"Unexpected loopback answer {body}.");
        }
    }

    private async Task RunAsync(HttpClient client)
    {
        if (Concurrency == 1)
        {
            for (var i = 0; i < Batch; i++)
            {
                await GetAsync(client).ConfigureAwait(false);
            }

            return;
        }

        var requests = new Task[Batch];
        for (var i = 0; i < Batch; i++)
        {
            requests[i] = GetAsync(client);
        }

        await Task.WhenAll(requests).ConfigureAwait(false);
    }

    private async Task GetAsync(HttpClient client)
    {
        using var response = await client.GetAsync(_uri, HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }
}
