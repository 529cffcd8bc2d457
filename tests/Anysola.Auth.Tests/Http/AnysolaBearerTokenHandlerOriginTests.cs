using System.Net;
using Anysola.Auth.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Anysola.Auth.Tests.Http;

/// <summary>
/// The token stays on its origin, over real HTTP: two Kestrel servers on loopback, a real SocketsHttpHandler
/// following redirects, and the bearer handler in front of it.
/// </summary>
public sealed class AnysolaBearerTokenHandlerOriginTests : IAsyncLifetime
{
    private LoopbackServer _anysola = null!;
    private LoopbackServer _other = null!;

    public async Task InitializeAsync()
    {
        _other = await LoopbackServer.StartAsync(static context => context.Response.WriteAsync("other origin"));
        _anysola = await LoopbackServer.StartAsync(context =>
        {
            if (context.Request.Path == "/redirect-away")
            {
                context.Response.Redirect(new Uri(_other.BaseAddress, "landing").AbsoluteUri);
                return Task.CompletedTask;
            }

            return context.Response.WriteAsync("anysola");
        });
    }

    public async Task DisposeAsync()
    {
        await _anysola.DisposeAsync();
        await _other.DisposeAsync();
    }

    [Fact]
    public async Task SendAsync_SameClientTwoOrigins_OnlyTheAnysolaOriginGetsTheToken()
    {
        using var client = CreateClient();

        Assert.Equal("anysola", await client.GetStringAsync(new Uri(_anysola.BaseAddress, "api/agents")));
        Assert.Equal("other origin", await client.GetStringAsync(new Uri(_other.BaseAddress, "api/agents")));

        Assert.Equal($"Bearer {FakeSecrets.Access(1)}", Assert.Single(_anysola.Received).Authorization);
        Assert.Null(Assert.Single(_other.Received).Authorization);
    }

    [Fact]
    public async Task SendAsync_RedirectToAnotherOrigin_DoesNotCarryTheToken()
    {
        using var client = CreateClient();

        using var response = await client.GetAsync(new Uri(_anysola.BaseAddress, "redirect-away"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("other origin", await response.Content.ReadAsStringAsync());
        Assert.Equal($"Bearer {FakeSecrets.Access(1)}", Assert.Single(_anysola.Received).Authorization);
        var landed = Assert.Single(_other.Received);
        Assert.Equal("/landing", landed.Path);
        Assert.Null(landed.Authorization);
    }

    [Fact]
    public async Task SendAsync_LocalhostAliasOfTheOrigin_IsAnotherOriginAndGetsNoToken()
    {
        using var client = CreateClient();
        var alias = new UriBuilder(_anysola.BaseAddress) { Host = "localhost" }.Uri;

        using var response = await client.GetAsync(new Uri(alias, "api/agents"));

        Assert.Null(Assert.Single(_anysola.Received).Authorization);
    }

    [Fact]
    public void Constructor_HttpNonLoopbackBaseAddress_FailsValidation()
    {
        var manager = new TokenManager(new HttpClient(), new InMemoryTokenStore(), TestOptions.Create());

        var error = Assert.Throws<OptionsValidationException>(() =>
            new AnysolaBearerTokenHandler(manager, TestOptions.Create(o => o.BaseAddress = new Uri("http://anysola.com/"))));

        Assert.Contains("BaseAddress", error.Message, StringComparison.Ordinal);
    }

    private HttpClient CreateClient()
    {
        var time = new ObservableTimeProvider();
        var options = TestOptions.Create(o => o.BaseAddress = _anysola.BaseAddress);
        var oauth = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.InternalServerError));
        var manager = new TokenManager(new HttpClient(oauth), new InMemoryTokenStore(FakeTokenSets.Valid(time)), options, time);
        return new HttpClient(new AnysolaBearerTokenHandler(manager, options)
        {
            InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = true, UseProxy = false },
        });
    }
}
