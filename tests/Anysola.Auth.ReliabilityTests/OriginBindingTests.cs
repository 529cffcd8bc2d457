using System.Collections.Concurrent;
using System.Net;
using Anysola.Auth.ReliabilityTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Anysola.Auth.ReliabilityTests;

/// <summary>The bearer token reaches the configured origin only: not other hosts or ports, not plain HTTP, not across redirects.</summary>
public sealed class OriginBindingTests
{
    private const string Token = "ays_oauth_FAKE_origin_0123456789abcdef";

    [Fact]
    public async Task BearerHandler_RealLoopbackServers_TokenOnlyReachesTheAnysolaOriginNeverAcrossRedirects()
    {
        await using var anysola = await RecordingServer.StartAsync();
        await using var other = await RecordingServer.StartAsync();
        var options = new AnysolaAuthOptions { BaseAddress = anysola.BaseAddress, MaxRetryAttempts = 0 };
        using var oauth = new HttpClient();
        var manager = new TokenManager(oauth, new InMemoryTokenStore(Valid()), options);
        using var client = new HttpClient(new AnysolaBearerTokenHandler(manager, options) { InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = true } });

        (await client.GetAsync(new Uri(anysola.BaseAddress, "api/own"))).Dispose();
        (await client.GetAsync(new Uri(other.BaseAddress, "api/direct"))).Dispose();
        (await client.GetAsync(new Uri($"http://localhost:{anysola.BaseAddress.Port}/api/by-another-name"))).Dispose();
        (await client.GetAsync(new Uri(anysola.BaseAddress, "redirect?to=" + Uri.EscapeDataString(new Uri(other.BaseAddress, "api/landing").ToString())))).Dispose();
        (await client.GetAsync(new Uri(anysola.BaseAddress, "redirect307?to=" + Uri.EscapeDataString(new Uri(other.BaseAddress, "api/landing307").ToString())))).Dispose();

        Assert.Equal("Bearer " + Token, anysola.AuthorizationFor("/api/own"));
        Assert.Equal("Bearer " + Token, anysola.AuthorizationFor("/redirect"));
        Assert.Null(other.AuthorizationFor("/api/direct"));
        Assert.Null(anysola.AuthorizationFor("/api/by-another-name"));
        Assert.Null(other.AuthorizationFor("/api/landing"));
        Assert.Null(other.AuthorizationFor("/api/landing307"));
        Assert.DoesNotContain(other.AllAuthorization(), a => a is not null);
    }

    [Theory]
    [InlineData("https://anysola.test/api/x", true)]
    [InlineData("https://ANYSOLA.test/api/x", true)]
    [InlineData("http://anysola.test/api/x", false)]
    [InlineData("https://anysola.test:444/api/x", false)]
    [InlineData("https://anysola.test.evil.test/api/x", false)]
    [InlineData("https://evil.test/?https://anysola.test/", false)]
    [InlineData("https://anysola.test@evil.test/api/x", false)]
    public async Task BearerHandler_RequestUri_TokenAttachedOnlyForTheExactOrigin(string uri, bool expectToken)
    {
        var options = new AnysolaAuthOptions { BaseAddress = new Uri("https://anysola.test/"), MaxRetryAttempts = 0 };
        using var oauth = new HttpClient();
        var manager = new TokenManager(oauth, new InMemoryTokenStore(Valid()), options);
        string? seen = null;
        using var client = new HttpClient(new AnysolaBearerTokenHandler(manager, options) { InnerHandler = new Recording(r => seen = r.Headers.Authorization?.ToString()) });
        (await client.GetAsync(new Uri(uri))).Dispose();
        Assert.Equal(expectToken ? "Bearer " + Token : null, seen);
    }

    [Theory]
    [InlineData("http://anysola.com/")]
    [InlineData("http://10.0.0.1/")]
    [InlineData("http://0.0.0.0:8080/")]
    [InlineData("http://localhost.evil.test/")]
    [InlineData("http://127.0.0.1.nip.io/")]
    [InlineData("http://127.0.0.1@evil.test/")]
    [InlineData("http://[::ffff:8.8.8.8]/")]
    [InlineData("ftp://anysola.com/")]
    [InlineData("ws://127.0.0.1/")]
    public void Constructors_PlainHttpToNonLoopbackOrOtherScheme_RefusedByValidation(string baseAddress)
    {
        var options = new AnysolaAuthOptions { BaseAddress = new Uri(baseAddress) };
        using var http = new HttpClient();
        Assert.Throws<OptionsValidationException>(() => new TokenManager(http, new InMemoryTokenStore(), options));
        Assert.Throws<OptionsValidationException>(() => new DeviceAuthorizationClient(http, options));
        var valid = new TokenManager(http, new InMemoryTokenStore(), new AnysolaAuthOptions());
        Assert.Throws<OptionsValidationException>(() => new AnysolaBearerTokenHandler(valid, options));
    }

    [Theory]
    [InlineData("https://anysola.com/")]
    [InlineData("http://127.0.0.1:5000/")]
    [InlineData("http://localhost:5000/")]
    [InlineData("http://[::1]:5000/")]
    public void Constructors_HttpsOrLoopbackHttp_Accepted(string baseAddress)
    {
        using var http = new HttpClient();
        var manager = new TokenManager(http, new InMemoryTokenStore(), new AnysolaAuthOptions { BaseAddress = new Uri(baseAddress) });
        Assert.NotNull(manager);
    }

    private static TokenSet Valid() => new()
    {
        AccessToken = Token,
        RefreshToken = "ays_refresh_FAKE_origin",
        ExpiresAt = DateTimeOffset.UtcNow + TimeSpan.FromHours(1),
        IssuedAt = DateTimeOffset.UtcNow,
    };

    private sealed class Recording(Action<HttpRequestMessage> record) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            record(request);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }
    }

    /// <summary>A loopback Kestrel that records each request's Authorization header and redirects on request.</summary>
    private sealed class RecordingServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentQueue<(string Path, string? Authorization)> _seen = new();

        private RecordingServer(WebApplication app) => _app = app;

        public Uri BaseAddress { get; private set; } = null!;

        public static async Task<RecordingServer> StartAsync()
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var server = new RecordingServer(app);
            ((IApplicationBuilder)app).Run(context =>
            {
                var authorization = context.Request.Headers.Authorization.ToString();
                server._seen.Enqueue((context.Request.Path.Value ?? "/", string.IsNullOrEmpty(authorization) ? null : authorization));
                if (context.Request.Path.StartsWithSegments("/redirect") || context.Request.Path.StartsWithSegments("/redirect307"))
                {
                    context.Response.StatusCode = context.Request.Path.StartsWithSegments("/redirect307") ? 307 : 302;
                    context.Response.Headers.Location = context.Request.Query["to"].ToString();
                    return Task.CompletedTask;
                }

                context.Response.StatusCode = 200;
                return Task.CompletedTask;
            });
            await app.StartAsync();
            server.BaseAddress = new Uri($"http://127.0.0.1:{new Uri(app.Urls.First()).Port}/");
            return server;
        }

        public string? AuthorizationFor(string path) => _seen.Single(s => s.Path == path).Authorization;

        public IEnumerable<string?> AllAuthorization() => _seen.Select(s => s.Authorization);

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
