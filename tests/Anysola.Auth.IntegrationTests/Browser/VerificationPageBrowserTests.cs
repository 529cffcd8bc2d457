using Anysola.Auth.IntegrationTests.Infrastructure;
using Anysola.Auth.Testing;
using Microsoft.Playwright;

namespace Anysola.Auth.IntegrationTests.Browser;

/// <summary>
/// A person approving in a real browser while the SDK waits: LoginAsync runs for real, its callback hands the code
/// to the test, and headless Chromium works the server's verification page.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class VerificationPageBrowserTests(BrowserFixture fixture)
{
    private const string ScreenshotDirectory = "/tmp/anysola-notes";

    [Fact]
    public async Task LoginAsync_PersonAuthorizesGlobexOnCompleteUri_CompletesWithViewerScopes()
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Browser);
        await using var server = await Servers.StartAsync();
        await using var login = StartLogin(server, cts.Token);
        var authorization = await login.Authorization.WaitAsync(cts.Token);
        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        var requested = new System.Collections.Concurrent.ConcurrentQueue<string>();
        page.Request += (_, request) => requested.Enqueue(request.Url);

        var response = await page.GotoAsync(authorization.VerificationUriComplete!.ToString());

        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Contains(authorization.UserCode, await page.Locator("body").InnerTextAsync(), StringComparison.Ordinal);
        var workspaces = await page.Locator("#workspace option").EvaluateAllAsync<string[]>("options => options.map(o => o.value)");
        Assert.Contains("acme", workspaces);
        Assert.Contains("globex", workspaces);
        Assert.Equal("Authorize CLI", (await page.Locator("#authorize").InnerTextAsync()).Trim());
        Assert.Equal("Deny", (await page.Locator("#deny").InnerTextAsync()).Trim());
        await SaveScreenshotAsync(page);

        Assert.Equal(["globex"], await page.SelectOptionAsync("#workspace", "globex"));
        await page.ClickAsync("#authorize");
        await page.GetByText("CLI authorized").WaitForAsync();
        var tokens = await login.Task.WaitAsync(cts.Token);

        TokenAssert.IsAccessToken(tokens.AccessToken);
        TokenAssert.IsRefreshToken(tokens.RefreshToken);
        Assert.Equal(Scopes.Sorted(Scopes.Viewer), Scopes.Sorted(tokens.Scopes));
        var info = await login.Manager.GetUserInfoAsync(cts.Token);
        Assert.Equal("usr_ada", info.Subject);
        Assert.Equal("Globex", info.WorkspaceName);
        Assert.Equal("viewer", info.Role);

        // The page is self-contained: the browser fetched nothing from anywhere but the server.
        Assert.NotEmpty(requested);
        Assert.All(requested, url => Assert.StartsWith(server.BaseAddress.GetLeftPart(UriPartial.Authority), url, StringComparison.Ordinal));
        Assert.Contains(AnysolaTestEndpoints.Page, server.Journal.Select(e => e.Endpoint));
    }

    [Fact]
    public async Task LoginAsync_PersonClicksDeny_FailsWithAccessDenied()
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Browser);
        await using var server = await Servers.StartAsync();
        await using var login = StartLogin(server, cts.Token);
        var authorization = await login.Authorization.WaitAsync(cts.Token);
        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync(authorization.VerificationUriComplete!.ToString());
        await page.ClickAsync("#deny");
        await page.GetByText("Request denied").WaitForAsync();

        var error = await Assert.ThrowsAsync<AnysolaAuthException>(() => login.Task.WaitAsync(cts.Token));
        Assert.Equal(AnysolaAuthErrors.AccessDenied, error.Error);
        Assert.Null(await login.Manager.GetCurrentTokensAsync(cts.Token));
        Assert.DoesNotContain("issued", server.Outcomes(AnysolaTestEndpoints.Token));
    }

    [Fact]
    public async Task LoginAsync_PersonTypesCodeOnVerificationUri_CompletesWithAdminScopes()
    {
        using var cts = new CancellationTokenSource(TestTimeouts.Browser);
        await using var server = await Servers.StartAsync();
        await using var login = StartLogin(server, cts.Token);
        var authorization = await login.Authorization.WaitAsync(cts.Token);
        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync(authorization.VerificationUri.ToString());
        Assert.Equal(0, await page.Locator("#authorize").CountAsync());
        await page.FillAsync("#user_code", authorization.UserCode);
        await page.PressAsync("#user_code", "Enter");
        await page.Locator("#authorize").WaitForAsync();
        Assert.Contains(authorization.UserCode, await page.Locator("body").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(["acme"], await page.SelectOptionAsync("#workspace", "acme"));
        await page.ClickAsync("#authorize");
        await page.GetByText("CLI authorized").WaitForAsync();
        var tokens = await login.Task.WaitAsync(cts.Token);

        TokenAssert.IsAccessToken(tokens.AccessToken);
        Assert.Equal(Scopes.Sorted(Scopes.Admin), Scopes.Sorted(tokens.Scopes));
        Assert.Equal(tokens, await login.Manager.Store.GetAsync(cts.Token));
    }

    private async Task<IBrowserContext> NewContextAsync()
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { Locale = "en-US" });
        context.SetDefaultTimeout((float)TimeSpan.FromSeconds(15).TotalMilliseconds);
        context.SetDefaultNavigationTimeout((float)TimeSpan.FromSeconds(15).TotalMilliseconds);
        return context;
    }

    private static PendingLogin StartLogin(AnysolaTestServer server, CancellationToken cancellationToken)
    {
        var http = Clients.Http(server);
        var manager = new TokenManager(http, new InMemoryTokenStore(), Clients.Options(server));
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var authorization = new TaskCompletionSource<DeviceAuthorization>(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = manager.LoginAsync(
            (started, _) =>
            {
                authorization.SetResult(started);
                return Task.CompletedTask;
            },
            stop.Token);
        return new PendingLogin(http, stop, manager, authorization.Task, task);
    }

    /// <summary>For the lead to look at; not part of what is asserted.</summary>
    private static async Task SaveScreenshotAsync(IPage page)
    {
        if (Directory.Exists(ScreenshotDirectory))
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, "verification-page.png"), FullPage = true });
        }
    }

    private sealed record PendingLogin(HttpClient Http, CancellationTokenSource Stop, TokenManager Manager, Task<DeviceAuthorization> Authorization, Task<TokenSet> Task) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            // A failed assertion can leave the login polling: stop it before its client goes away.
            await Stop.CancelAsync();
            await ((Task)Task).WaitAsync(TestTimeouts.Operation).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Stop.Dispose();
            Http.Dispose();
        }
    }
}
