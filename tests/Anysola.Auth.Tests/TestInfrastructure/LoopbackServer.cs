using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Anysola.Auth.Tests.TestInfrastructure;

/// <summary>A real Kestrel server on 127.0.0.1 and a free port that records each request's Authorization header.</summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly ConcurrentQueue<ServerRequest> _requests;

    private LoopbackServer(WebApplication app, Uri baseAddress, ConcurrentQueue<ServerRequest> requests)
    {
        _app = app;
        BaseAddress = baseAddress;
        _requests = requests;
    }

    /// <summary>The server's origin, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    public IReadOnlyList<ServerRequest> Received => [.. _requests];

    public static async Task<LoopbackServer> StartAsync(Func<HttpContext, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(static kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var requests = new ConcurrentQueue<ServerRequest>();
        app.Run(async context =>
        {
            var authorization = context.Request.Headers.Authorization;
            requests.Enqueue(new ServerRequest(context.Request.Method, context.Request.Path, authorization.Count == 0 ? null : authorization.ToString()));
            await handler(context);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new LoopbackServer(app, new Uri(address.TrimEnd('/') + "/"), requests);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record ServerRequest(string Method, string Path, string? Authorization);
