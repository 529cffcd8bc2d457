using System.Net;
using System.Net.Http.Json;
using Anysola.Auth.IntegrationTests.Infrastructure;
using Anysola.Auth.Testing;

namespace Anysola.Auth.IntegrationTests;

/// <summary>Scopes are filtered by role at approval, and a missing scope is not something a refresh can fix.</summary>
public sealed class ScopeTests
{
    [Fact]
    public async Task LoginAsync_ViewerAsksForAgentsWrite_GetsTokenWithoutIt()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        using var http = Clients.Http(server);
        var options = Clients.Options(server, o =>
        {
            o.Scopes.Add("agents:read");
            o.Scopes.Add("agents:write");
        });
        var manager = new TokenManager(http, new InMemoryTokenStore(), options);

        var tokens = await manager.LoginApprovingAsync(server, cts.Token, workspace: "acme", user: "val");

        Assert.Equal(["agents:read"], tokens.Scopes);
    }

    [Fact]
    public async Task PostAgents_ViewerToken_Returns403InsufficientScopeWithoutRefreshOrRetry()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        using var http = Clients.Http(server);
        var options = Clients.Options(server, o =>
        {
            o.Scopes.Add("agents:read");
            o.Scopes.Add("agents:write");
        });
        var manager = new TokenManager(http, new InMemoryTokenStore(), options);
        var tokens = await manager.LoginApprovingAsync(server, cts.Token, workspace: "acme", user: "val");
        using var api = Clients.Api(server, manager, options);

        using var response = await api.PostAsJsonAsync("api/agents", new { name = "Nightly triage" }, cts.Token);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains("error=\"insufficient_scope\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.Contains("agents:write", challenge.Parameter, StringComparison.Ordinal);
        Assert.Equal(1, server.CountRequests(AnysolaTestEndpoints.Api));
        Assert.Equal(0, server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
        Assert.Equal(["insufficient_scope"], server.Outcomes(AnysolaTestEndpoints.Api));
        TokenAssert.Same(tokens.AccessToken, await manager.GetAccessTokenAsync(cts.Token), "access token");

        // Reading is within the granted scope.
        using var list = await api.GetAsync("api/agents", cts.Token);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    [Fact]
    public async Task PostApiKeys_AdminOAuthToken_IsRefusedAsBrowserOnly()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        using var http = Clients.Http(server);
        var options = Clients.Options(server);
        var manager = new TokenManager(http, new InMemoryTokenStore(), options);
        await manager.LoginApprovingAsync(server, cts.Token);
        using var api = Clients.Api(server, manager, options);

        using var response = await api.PostAsJsonAsync("api/api-keys", new { name = "ci" }, cts.Token);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("browser", await response.Content.ReadAsStringAsync(cts.Token), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
    }
}
