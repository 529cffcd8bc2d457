using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Anysola.Auth.Testing;

namespace Anysola.Auth.Sample.Tests;

/// <summary>
/// The sample CLI as a person or a script meets it: the built <c>anysola</c> run as a real process against a local
/// Anysola server over loopback, each test with its own config directory.
/// </summary>
public sealed class SampleCliTests : IAsyncLifetime
{
    private readonly string _configDirectory = Directory.CreateTempSubdirectory("anysola-sample-tests-").FullName;
    private AnysolaTestServer _server = null!;

    private string TokenFile => Path.Combine(_configDirectory, "credentials.json");

    private string Url => _server.BaseAddress.AbsoluteUri;

    public async Task InitializeAsync() =>
        _server = await AnysolaTestServer.StartAsync(options =>
        {
            options.AutoApproveWorkspace = "acme";
            options.PollingInterval = TimeSpan.FromMilliseconds(50);
        });

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_configDirectory, recursive: true);
    }

    [Fact]
    public async Task Demo_WithNoSetUp_TellsTheWholeStoryAndExitsZero()
    {
        var result = await SampleProcess.RunAsync(_configDirectory, "demo");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Your one-time code:", result.Stdout);
        Assert.Contains("approves every login by itself", result.Stdout);
        Assert.Contains("✓ Approved.", result.Stdout);
        Assert.Contains("credentials.json", result.Stdout);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Contains("(mode 0600)", result.Stdout);
        }

        Assert.Contains("Ada Lovelace <ada@acme.test>, admin of Acme Corp (acme)", result.Stdout);
        Assert.Contains("agt_triage", result.Stdout);
        Assert.Matches(@"access token\s+[0-9a-f]{8} → [0-9a-f]{8}", result.Stdout);
        Assert.Matches(@"refresh token\s+[0-9a-f]{8} → [0-9a-f]{8}", result.Stdout);
        Assert.Contains("old refresh token accepted by the server now: no", result.Stdout);
        Assert.Contains("Session revoked on the server (refresh token accepted now: no)", result.Stdout);
        Assert.Contains("Token file deleted: yes", result.Stdout);
        Assert.Contains("login required", result.Stdout);
        AssertNoTokenText(result.Stdout + result.Stderr);

        // The demo used a throwaway directory of its own, not the one it was given.
        Assert.False(File.Exists(TokenFile));
    }

    [Fact]
    public async Task Status_BeforeLogin_ExitsFourAndSaysRunLogin()
    {
        var result = await SampleProcess.RunAsync(_configDirectory, "status", "--server", Url);

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Contains("Run `anysola login`.", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Status_AfterLogin_ShowsWorkspaceScopesAndExpiry()
    {
        var login = await LoginAsync();
        Assert.Contains("✓ Approved.", login.Stderr);
        Assert.Contains("Signed in to", login.Stderr);
        Assert.Equal("", login.Stdout);

        var result = await SampleProcess.RunAsync(_configDirectory, "status", "--server", Url);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Signed in to 127.0.0.1:", result.Stdout);
        Assert.Contains("Ada Lovelace <ada@acme.test>", result.Stdout);
        Assert.Contains("workspace   Acme Corp (acme), role admin", result.Stdout);
        Assert.Contains("scopes      agents:read operations:write", result.Stdout);
        Assert.Matches(@"token\s+expires \d\d:\d\d \(in 59 min\)", result.Stdout);
        Assert.Contains(TokenFile, result.Stdout);
        await AssertNoStoredTokenInAsync(result.Stdout + result.Stderr);
    }

    [Fact]
    public async Task StatusJson_ViewerLogin_ReportsGrantedAgainstRequestedScopes()
    {
        _server.Options.AutoApproveUser = "val"; // a viewer: operations:write is not allowed
        await LoginAsync();

        var result = await SampleProcess.RunAsync(_configDirectory, "status", "--json", "--server", Url);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.True(root.GetProperty("signedIn").GetBoolean());
        Assert.Equal("acme", root.GetProperty("workspace").GetString());
        Assert.Equal("viewer", root.GetProperty("role").GetString());
        Assert.Equal(["agents:read"], Strings(root.GetProperty("scopes")));
        Assert.Equal(["agents:read", "operations:write"], Strings(root.GetProperty("scopesRequested")));
        Assert.Equal(["operations:write"], Strings(root.GetProperty("scopesMissing")));
        Assert.True(root.GetProperty("expiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task StatusJson_BeforeLogin_PrintsSignedInFalseAndExitsFour()
    {
        var result = await SampleProcess.RunAsync(_configDirectory, "status", "--json", "--server", Url);

        Assert.True(result.ExitCode == 4, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.False(json.RootElement.GetProperty("signedIn").GetBoolean());
    }

    [Fact]
    public async Task Token_AfterLogin_PrintsOnlyTheStoredAccessTokenToStdout()
    {
        await LoginAsync();
        var stored = await ReadStoreAsync();

        var result = await SampleProcess.RunAsync(_configDirectory, "token", "--server", Url);

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Equal(stored.AccessToken + Environment.NewLine, result.Stdout);
        Assert.StartsWith("ays_oauth_", result.Stdout);
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public async Task Token_ExpiringWithinAMinute_RefreshesBeforePrinting()
    {
        _server.Options.AccessTokenLifetime = TimeSpan.FromSeconds(30);
        await LoginAsync();
        var before = await ReadStoreAsync();

        var result = await SampleProcess.RunAsync(_configDirectory, "token", "--server", Url);

        var after = await ReadStoreAsync();
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.NotEqual(before.AccessToken, after.AccessToken);
        Assert.NotEqual(before.RefreshToken, after.RefreshToken);
        Assert.Equal(after.AccessToken + Environment.NewLine, result.Stdout);
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public async Task Token_BeforeLogin_ExitsFourWithNothingOnStdout()
    {
        var result = await SampleProcess.RunAsync(_configDirectory, "token", "--server", Url);

        Assert.Equal(4, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Contains("Run `anysola login`.", result.Stderr);
    }

    [Fact]
    public async Task WhoAmIJson_AfterLogin_IsValidJsonWithTheUserAndWorkspace()
    {
        await LoginAsync();

        var result = await SampleProcess.RunAsync(_configDirectory, "whoami", "--json", "--server", Url);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal("usr_ada", json.RootElement.GetProperty("sub").GetString());
        Assert.Equal("ada@acme.test", json.RootElement.GetProperty("email").GetString());
        Assert.Equal("acme", json.RootElement.GetProperty("workspace").GetProperty("slug").GetString());
    }

    [Fact]
    public async Task WhoAmI_AfterAdminRevokedTheSession_ExitsFourSayingTheSessionEnded()
    {
        await LoginAsync();
        Assert.True(_server.RevokeAllSessions() > 0);

        var result = await SampleProcess.RunAsync(_configDirectory, "whoami", "--server", Url);

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Contains("session", result.Stderr);
        Assert.Contains("Run `anysola login`.", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task AgentsList_AfterLogin_PrintsATableAndValidJson()
    {
        await LoginAsync();

        var table = await SampleProcess.RunAsync(_configDirectory, "agents", "list", "--server", Url);
        var json = await SampleProcess.RunAsync(_configDirectory, "agents", "list", "--json", "--server", Url);

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.StartsWith("ID ", table.Stdout);
        Assert.Contains("agt_triage", table.Stdout);
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        Assert.Contains(document.RootElement.GetProperty("agents").EnumerateArray(), agent => agent.GetProperty("id").GetString() == "agt_triage");
    }

    [Fact]
    public async Task AgentsRun_AfterLogin_StartsAnOperationWithTheAction()
    {
        await LoginAsync();

        var result = await SampleProcess.RunAsync(_configDirectory, "agents", "run", "agt_triage", "--action", "triage-inbox", "--json", "--server", Url);

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal("triage-inbox", json.RootElement.GetProperty("operation").GetProperty("action").GetString());
        Assert.Contains(_server.Journal, entry => entry.Method == "POST" && entry.Path == "/api/agents/agt_triage/run" && entry.StatusCode == 201);
    }

    [Fact]
    public async Task AgentsRun_UnknownAgent_ExitsOneAndPointsToTheList()
    {
        await LoginAsync();

        var result = await SampleProcess.RunAsync(_configDirectory, "agents", "run", "agt_nope", "--server", Url);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Run `anysola agents list`", result.Stderr);
    }

    [Fact]
    public async Task AgentsRun_WithoutTheScope_ExitsOneAndNamesTheMissingScope()
    {
        _server.Options.AutoApproveUser = "val";
        await LoginAsync();

        var result = await SampleProcess.RunAsync(_configDirectory, "agents", "run", "agt_triage", "--server", Url);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("operations:write", result.Stderr);
        Assert.Contains("anysola login --scope operations:write", result.Stderr);
    }

    [Fact]
    public async Task AgentsList_AfterLogout_ExitsFourWithLoginRequired()
    {
        await LoginAsync();
        var stored = await ReadStoreAsync();

        var logout = await SampleProcess.RunAsync(_configDirectory, "logout", "--server", Url);
        var result = await SampleProcess.RunAsync(_configDirectory, "agents", "list", "--server", Url);

        Assert.True(logout.ExitCode == 0, logout.ToString());
        Assert.Contains("Signed out", logout.Stderr);
        Assert.False(File.Exists(TokenFile));
        Assert.False(_server.IsRefreshTokenActive(stored.RefreshToken!));
        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Contains("Run `anysola login`.", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Theory]
    [InlineData("status", "--bogus")]
    [InlineData("frobnicate")]
    [InlineData("agents")]
    [InlineData("agents", "run")]
    [InlineData("status", "--server", "http://example.com/")]
    public async Task Parse_UsageError_ExitsTwoWithAPointerToHelp(params string[] arguments)
    {
        var result = await SampleProcess.RunAsync(_configDirectory, arguments);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--help` for usage", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Login_UnreachableServer_ExitsOneWithOneSentence()
    {
        var result = await SampleProcess.RunAsync(_configDirectory, "login", "--no-browser", "--server", $"http://127.0.0.1:{ClosedPort()}/");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.StartsWith("✗ Could not reach 127.0.0.1:", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public async Task Status_ServerFromTheEnvironment_IsUsedWithoutTheOption()
    {
        await LoginAsync();
        var environment = new Dictionary<string, string> { ["ANYSOLA_BASE_URL"] = Url };

        var result = await SampleProcess.RunAsync(_configDirectory, ["status"], environment, interruptWhenStderrShows: null);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"Signed in to {_server.BaseAddress.Authority}", result.Stdout);
    }

    [Fact]
    public async Task Status_InvalidServerInTheEnvironment_ExitsTwoNamingTheVariable()
    {
        var environment = new Dictionary<string, string> { ["ANYSOLA_BASE_URL"] = "ftp://anysola.example/" };

        var result = await SampleProcess.RunAsync(_configDirectory, ["status"], environment, interruptWhenStderrShows: null);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("ANYSOLA_BASE_URL", result.Stderr);
    }

    [Fact]
    public async Task Help_Root_ListsCommandsAndDocumentsExitCodes()
    {
        var result = await SampleProcess.RunAsync(_configDirectory, "--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var command in new[] { "login", "logout", "status", "token", "whoami", "agents", "demo", "--server", "--local", "--verbose" })
        {
            Assert.Contains(command, result.Stdout);
        }

        Assert.Contains("Exit codes: 0 ok, 1 error, 2 usage error, 4 login required", result.Stdout);
        Assert.Contains("130 cancelled", result.Stdout);
    }

    [Fact]
    public async Task Login_CtrlCWhileWaitingForApproval_ExitsOneThirtyWithoutAStackTrace()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // SIGINT is a Unix signal
        }

        _server.Options.AutoApproveWorkspace = null; // nobody approves: the CLI waits

        var result = await SampleProcess.RunAsync(
            _configDirectory,
            ["login", "--no-browser", "--server", Url],
            environment: null,
            interruptWhenStderrShows: "Waiting for approval");

        Assert.True(result.ExitCode == 130, result.ToString());
        Assert.Contains("Your one-time code:", result.Stderr);
        Assert.Contains("Cancelled.", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.False(File.Exists(TokenFile));
    }

    [Fact]
    public async Task Stderr_EveryCommandWithVerboseLogs_NeverContainsAToken()
    {
        _server.Options.AccessTokenLifetime = TimeSpan.FromSeconds(30); // so `token` refreshes and rotation is logged
        var stderr = new List<string>();
        var tokens = new HashSet<string>();

        async Task<SampleResult> Run(params string[] arguments)
        {
            var result = await SampleProcess.RunAsync(_configDirectory, [.. arguments, "--server", Url, "--verbose"]);
            Assert.True(result.ExitCode == 0, result.ToString());
            stderr.Add(result.Stderr);
            if (File.Exists(TokenFile))
            {
                var stored = await ReadStoreAsync();
                tokens.Add(stored.AccessToken);
                tokens.Add(stored.RefreshToken!);
            }

            return result;
        }

        await Run("login", "--no-browser");
        await Run("status");
        await Run("whoami");
        await Run("token");
        await Run("agents", "list");
        await Run("agents", "run", "agt_triage");
        await Run("logout");

        var allStderr = string.Join('\n', stderr);
        Assert.Contains("dbug:", allStderr); // --verbose did turn the library's logs on
        Assert.True(tokens.Count >= 4, "the login and the refresh should have produced two token pairs");
        Assert.All(tokens, token => Assert.DoesNotContain(token, allStderr));
        AssertNoTokenText(allStderr);
    }

    private async Task<SampleResult> LoginAsync()
    {
        var result = await SampleProcess.RunAsync(_configDirectory, "login", "--no-browser", "--server", Url);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(TokenFile), "login should store the tokens in ANYSOLA_CONFIG_DIR");
        return result;
    }

    private async Task<TokenSet> ReadStoreAsync() =>
        await new FileTokenStore(TokenFile).GetAsync() ?? throw new InvalidOperationException("No tokens stored.");

    private async Task AssertNoStoredTokenInAsync(string text)
    {
        var stored = await ReadStoreAsync();
        Assert.DoesNotContain(stored.AccessToken, text);
        Assert.DoesNotContain(stored.RefreshToken!, text);
    }

    private static void AssertNoTokenText(string text)
    {
        Assert.DoesNotContain("ays_oauth_", text);
        Assert.DoesNotContain("ays_refresh_", text);
    }

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(item => item.GetString()!)];

    /// <summary>A loopback port nothing listens on: bound, then released.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
