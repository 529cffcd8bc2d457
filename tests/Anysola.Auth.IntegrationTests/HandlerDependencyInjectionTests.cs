using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Anysola.Auth.IntegrationTests.Infrastructure;
using Anysola.Auth.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Anysola.Auth.IntegrationTests;

/// <summary>The API client as an app registers it (AddAnysolaAuth + AddAnysolaApiClient), against the real server.</summary>
public sealed class HandlerDependencyInjectionTests
{
    [Fact]
    public async Task GetAgents_ThroughRegisteredApiClient_SendsBearerAndListsSeededAgents()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        await using var services = Build(server);
        var manager = services.GetRequiredService<TokenManager>();
        var tokens = await manager.LoginApprovingAsync(server, cts.Token);
        var api = services.GetRequiredService<IHttpClientFactory>().CreateClient("Anysola");

        using var response = await api.GetAsync("api/agents", cts.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ids = await AgentIdsAsync(response, cts.Token);
        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.StartsWith("agt_", id, StringComparison.Ordinal));
        Assert.Same(services.GetRequiredService<ITokenStore>(), manager.Store);
        Assert.Equal(tokens, await manager.Store.GetAsync(cts.Token));
        Assert.Equal(["ok"], server.Outcomes(AnysolaTestEndpoints.Api));
    }

    [Fact]
    public async Task GetAgents_AccessTokenExpiredOnServer_OneRefreshThenResendSucceeds()
    {
        using var cts = TestTimeouts.Create();

        // Only the server's clock moves: the client still believes its token is valid, so the first call is
        // answered 401 and the handler must recover.
        var serverClock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await Servers.StartAsync(o =>
        {
            o.TimeProvider = serverClock;
            o.AccessTokenLifetime = TimeSpan.FromMinutes(10);
            o.EnforcePollingInterval = false;
        });
        await using var services = Build(server);
        var manager = services.GetRequiredService<TokenManager>();
        var before = await manager.LoginApprovingAsync(server, cts.Token);
        var api = services.GetRequiredService<IHttpClientFactory>().CreateClient("Anysola");

        serverClock.Advance(TimeSpan.FromMinutes(11));
        using var response = await api.GetAsync("api/agents", cts.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["invalid_token", "ok"], server.Outcomes(AnysolaTestEndpoints.Api));
        Assert.Equal(1, server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
        var after = await manager.Store.GetAsync(cts.Token);
        Assert.NotNull(after);
        TokenAssert.Different(before.AccessToken, after.AccessToken, "access token");
        Assert.False(server.IsRefreshTokenActive(before.RefreshToken!), "the old refresh token survived the rotation");
        Assert.True(server.IsRefreshTokenActive(after.RefreshToken!), "the new refresh token is not active");

        // The next call uses the new token straight away.
        using var again = await api.GetAsync("api/agents", cts.Token);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(1, server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
    }

    [Fact]
    public async Task RunAgent_PostWithBodyAfterServerSideExpiry_RefreshesAndResendsSameBody()
    {
        using var cts = TestTimeouts.Create();
        var serverClock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await Servers.StartAsync(o =>
        {
            o.TimeProvider = serverClock;
            o.AccessTokenLifetime = TimeSpan.FromMinutes(10);
            o.EnforcePollingInterval = false;
        });
        await using var services = Build(server);
        await services.GetRequiredService<TokenManager>().LoginApprovingAsync(server, cts.Token);
        var api = services.GetRequiredService<IHttpClientFactory>().CreateClient("Anysola");
        using var list = await api.GetAsync("api/agents", cts.Token);
        var agent = (await AgentIdsAsync(list, cts.Token))[0];

        serverClock.Advance(TimeSpan.FromMinutes(11));
        using var response = await api.PostAsJsonAsync($"api/agents/{agent}/run", new { action = "replayed-after-401", status = "succeeded" }, cts.Token);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cts.Token));
        Assert.Equal("replayed-after-401", body.RootElement.GetProperty("operation").GetProperty("action").GetString());
        Assert.Equal(["ok", "invalid_token", "created"], server.Outcomes(AnysolaTestEndpoints.Api));
        Assert.Equal(1, server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
    }

    [Fact]
    public async Task GetAgents_AnotherClientRotatedWithAccessTokenRevocation_AdoptsStoredTokenAndResendSucceeds()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync(o => o.RevokeAccessTokenOnRefresh = true);
        await using var services = Build(server);
        var manager = services.GetRequiredService<TokenManager>();
        var before = await manager.LoginApprovingAsync(server, cts.Token);
        var api = services.GetRequiredService<IHttpClientFactory>().CreateClient("Anysola");
        using (var warm = await api.GetAsync("api/agents", cts.Token))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        // Another client sharing the store (as another process would) refreshes: the server kills the access
        // token this client still has cached.
        using var otherHttp = Clients.Http(server);
        var other = new TokenManager(otherHttp, manager.Store, Clients.Options(server));
        var rotated = await other.RefreshAccessTokenAsync(cancellationToken: cts.Token);
        using (var stale = await otherHttp.GetAgentsWithTokenAsync(before.AccessToken, cts.Token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        }

        using var response = await api.GetAsync("api/agents", cts.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
        TokenAssert.Same(rotated, await manager.GetAccessTokenAsync(cts.Token), "access token");
        Assert.DoesNotContain("reuse_detected", server.Outcomes(AnysolaTestEndpoints.Token));
    }

    [Fact]
    public async Task RunAgent_BeyondPerMinuteLimit_Returns429WithRetryAfter()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync(o => o.AgentRunsPerMinute = 2);

        // No automatic retry: the limit resets after up to a minute, and this test is about what the server sends.
        await using var services = Build(server, o => o.MaxRetryAttempts = 0);
        var manager = services.GetRequiredService<TokenManager>();
        await manager.LoginApprovingAsync(server, cts.Token);
        var api = services.GetRequiredService<IHttpClientFactory>().CreateClient("Anysola");
        using var list = await api.GetAsync("api/agents", cts.Token);
        var agent = (await AgentIdsAsync(list, cts.Token))[0];

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 3; i++)
        {
            last?.Dispose();
            last = await api.PostAsJsonAsync($"api/agents/{agent}/run", new { action = "integration-test", status = "succeeded" }, cts.Token);
            statuses.Add(last.StatusCode);
        }

        using var limited = last!;
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests], statuses);
        var retryAfter = limited.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.Equal(["ok", "created", "created", "rate_limited"], server.Outcomes(AnysolaTestEndpoints.Api));
        Assert.Equal(0, server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
    }

    [Fact]
    public async Task RunAgent_WithinLimit_Returns201Operation()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        await using var services = Build(server);
        await services.GetRequiredService<TokenManager>().LoginApprovingAsync(server, cts.Token, workspace: "acme", user: "max");
        var api = services.GetRequiredService<IHttpClientFactory>().CreateClient("Anysola");
        using var list = await api.GetAsync("api/agents", cts.Token);
        var agent = (await AgentIdsAsync(list, cts.Token))[0];

        using var response = await api.PostAsJsonAsync($"api/agents/{agent}/run", new { action = "deploy", status = "running", durationMs = 1200 }, cts.Token);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cts.Token));
        var operation = body.RootElement.GetProperty("operation");
        Assert.False(string.IsNullOrEmpty(operation.GetProperty("id").GetString()));
        Assert.Equal("deploy", operation.GetProperty("action").GetString());
        Assert.Equal("running", operation.GetProperty("status").GetString());
    }

    private static ServiceProvider Build(AnysolaTestServer server, Action<AnysolaAuthOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ITokenStore>(new InMemoryTokenStore());
        services.AddAnysolaAuth(o =>
        {
            o.BaseAddress = server.BaseAddress;
            o.CliLabel = "integration-tests";
            o.RequestTimeout = TimeSpan.FromSeconds(10);
            configure?.Invoke(o);
        });
        services.AddAnysolaApiClient();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    private static async Task<List<string>> AgentIdsAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return [.. body.RootElement.GetProperty("agents").EnumerateArray().Select(a => a.GetProperty("id").GetString()!)];
    }
}
