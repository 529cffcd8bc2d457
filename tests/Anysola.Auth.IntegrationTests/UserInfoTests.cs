using Anysola.Auth.IntegrationTests.Infrastructure;
using Anysola.Auth.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Anysola.Auth.IntegrationTests;

/// <summary>GetUserInfoAsync against the seeded users, workspaces and roles.</summary>
public sealed class UserInfoTests
{
    [Fact]
    public async Task GetUserInfoAsync_AdaApprovesForAcme_ReturnsAdaAsAdminOfAcme()
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        using var http = Clients.Http(server);
        var manager = new TokenManager(http, new InMemoryTokenStore(), Clients.Options(server));
        var tokens = await manager.LoginApprovingAsync(server, cts.Token, workspace: "acme", user: "ada");

        var info = await manager.GetUserInfoAsync(cts.Token);

        Assert.Equal("usr_ada", info.Subject);
        Assert.Equal("Ada Lovelace", info.Name);
        Assert.Equal("ada@acme.test", info.Email);
        Assert.Equal("ws_acme", info.WorkspaceId);
        Assert.Equal("Acme Corp", info.WorkspaceName);
        Assert.Equal("admin", info.Role);
        Assert.Equal(Scopes.Sorted(Scopes.Admin), Scopes.Sorted(info.Scopes));
        Assert.Equal(Scopes.Sorted(tokens.Scopes), Scopes.Sorted(info.Scopes));
        Assert.Contains("\"slug\":\"acme\"", info.RawJson.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ada", "globex", "usr_ada", "Globex", "viewer")]
    [InlineData("max", "acme", "usr_max", "Acme Corp", "member")]
    [InlineData("val", "acme", "usr_val", "Acme Corp", "viewer")]
    public async Task GetUserInfoAsync_ApprovedAsUserInWorkspace_ReportsThatRoleAndItsScopes(string user, string workspace, string subject, string workspaceName, string role)
    {
        using var cts = TestTimeouts.Create();
        await using var server = await Servers.StartAsync();
        using var http = Clients.Http(server);
        var manager = new TokenManager(http, new InMemoryTokenStore(), Clients.Options(server));
        var tokens = await manager.LoginApprovingAsync(server, cts.Token, workspace, user);

        var info = await manager.GetUserInfoAsync(cts.Token);

        Assert.Equal(subject, info.Subject);
        Assert.Equal(workspaceName, info.WorkspaceName);
        Assert.Equal(role, info.Role);
        var expected = role == "viewer" ? Scopes.Viewer : Scopes.Member;
        Assert.Equal(Scopes.Sorted(expected), Scopes.Sorted(info.Scopes));
        Assert.Equal(Scopes.Sorted(expected), Scopes.Sorted(tokens.Scopes));
    }

    [Fact]
    public async Task GetUserInfoAsync_AccessTokenExpiredOnServer_RefreshesOnceAndAnswers()
    {
        using var cts = TestTimeouts.Create();

        // Only the server's clock moves, so the client learns of the expiry from the 401.
        var serverClock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await Servers.StartAsync(o =>
        {
            o.TimeProvider = serverClock;
            o.EnforcePollingInterval = false;
        });
        using var http = Clients.Http(server);
        var manager = new TokenManager(http, new InMemoryTokenStore(), Clients.Options(server));
        var before = await manager.LoginApprovingAsync(server, cts.Token, workspace: "acme", user: "max");

        serverClock.Advance(TimeSpan.FromHours(2));
        var info = await manager.GetUserInfoAsync(cts.Token);

        Assert.Equal("usr_max", info.Subject);
        Assert.Equal(1, server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
        Assert.Equal(["invalid_token", "ok"], server.Outcomes(AnysolaTestEndpoints.UserInfo));
        TokenAssert.Different(before.AccessToken, await manager.GetAccessTokenAsync(cts.Token), "access token");
    }
}
