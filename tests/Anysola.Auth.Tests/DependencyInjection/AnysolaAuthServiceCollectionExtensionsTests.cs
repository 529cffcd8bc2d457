using System.Net;
using Anysola.Auth.Tests.TestInfrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Anysola.Auth.Tests.DependencyInjection;

/// <summary>The DI registration: resolves and works end to end, honours the app's own services, validates at start-up, binds configuration.</summary>
public sealed class AnysolaAuthServiceCollectionExtensionsTests
{
    private static readonly Uri ApiBase = new("https://api.anysola.test/");
    private readonly ObservableTimeProvider _time = new();
    private int _issued = 1;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AddAnysolaAuth_WithHandlerOnNamedClient_WorksEndToEndWithTheAppsStoreAndClock(bool registerBefore)
    {
        var store = new InMemoryTokenStore(FakeTokenSets.Expired(_time));
        var fake = Fake();
        var services = new ServiceCollection();
        if (registerBefore)
        {
            services.AddSingleton<ITokenStore>(store).AddSingleton<TimeProvider>(_time);
        }

        services.AddAnysolaAuth(o =>
        {
            o.BaseAddress = ApiBase;
            o.MaxRetryAttempts = 0;
        });
        services.AddHttpClient("x").AddAnysolaAuthHandler();
        if (!registerBefore)
        {
            services.AddSingleton<ITokenStore>(store).AddSingleton<TimeProvider>(_time);
        }

        services.ConfigureHttpClientDefaults(b => b.ConfigurePrimaryHttpMessageHandler(() => fake));
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        provider.GetRequiredService<IStartupValidator>().Validate();

        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("x");
        using var response = await client.GetAsync(new Uri(ApiBase, "api/agents"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Same(store, provider.GetRequiredService<TokenManager>().Store);
        Assert.Same(_time, provider.GetRequiredService<TimeProvider>());
        var saved = (await store.GetAsync())!;
        Assert.Equal(FakeSecrets.Access(2), saved.AccessToken); // the refresh went into the app's store...
        Assert.Equal(_time.GetUtcNow(), saved.IssuedAt); // ...and was timed by the app's clock
        Assert.Single(fake.Requests, r => r.Path == "/api/oauth/token");
        Assert.Equal($"Bearer {FakeSecrets.Access(2)}", Assert.Single(fake.Requests, r => r.Path == "/api/agents").Authorization);
    }

    [Fact]
    public void AddAnysolaAuth_CalledTwice_RegistersOneOfEach()
    {
        var services = new ServiceCollection();

        services.AddAnysolaAuth().AddAnysolaAuth();

        Assert.Single(services, d => d.ServiceType == typeof(TokenManager));
        Assert.Single(services, d => d.ServiceType == typeof(ITokenStore));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<AnysolaAuthOptions>));
    }

    [Theory]
    [InlineData("BaseAddress")]
    [InlineData("RefreshBeforeExpiry")]
    [InlineData("RequestTimeout")]
    [InlineData("TokenEndpoint")]
    public void AddAnysolaAuth_InvalidOptions_FailStartupValidationNamingTheOption(string option)
    {
        var services = new ServiceCollection();
        services.AddAnysolaAuth(o =>
        {
            switch (option)
            {
                case "BaseAddress": o.BaseAddress = new Uri("http://anysola.com/"); break;
                case "RefreshBeforeExpiry": o.RefreshBeforeExpiry = TimeSpan.FromSeconds(-1); break;
                case "RequestTimeout": o.RequestTimeout = TimeSpan.Zero; break;
                default: o.TokenEndpoint = "https://evil.test/token"; break;
            }
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(option, error.Message, StringComparison.Ordinal);
        var direct = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<AnysolaAuthOptions>>().CurrentValue);
        Assert.Contains(option, direct.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddAnysolaAuth_Configuration_BindsTheAnysolaSection()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Anysola:BaseAddress"] = "https://staging.anysola.test/tenant/",
            ["Anysola:Scopes:0"] = "agents:read",
            ["Anysola:Scopes:1"] = "workspace:read",
            ["Anysola:RefreshBeforeExpiry"] = "00:02:30",
            ["Anysola:RequestEncoding"] = "Form",
            ["Anysola:ClientId"] = "ci-client",
            ["Other:BaseAddress"] = "https://wrong.test/",
        }).Build();
        var fake = Fake();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddAnysolaAuth(configuration);
        services.AddAnysolaAuth(o => o.CliLabel = "configured-host"); // code after configuration wins
        services.ConfigureHttpClientDefaults(b => b.ConfigurePrimaryHttpMessageHandler(() => fake));
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var options = provider.GetRequiredService<IOptions<AnysolaAuthOptions>>().Value;
        Assert.Equal(new Uri("https://staging.anysola.test/tenant/"), options.BaseAddress);
        Assert.Equal(["agents:read", "workspace:read"], options.Scopes);
        Assert.Equal(TimeSpan.FromSeconds(150), options.RefreshBeforeExpiry);
        Assert.Equal(AnysolaRequestEncoding.Form, options.RequestEncoding);
        Assert.Equal("configured-host", options.CliLabel);

        await provider.GetRequiredService<DeviceAuthorizationClient>().StartAsync();
        var device = Assert.Single(fake.Requests);
        Assert.Equal("https://staging.anysola.test/tenant/api/oauth/device", device.Uri.AbsoluteUri);
        Assert.Equal("application/x-www-form-urlencoded", device.MediaType);
        Assert.Equal("agents:read workspace:read", device.Field("scope"));
        Assert.Equal("ci-client", device.Field("client_id"));
    }

    [Fact]
    public async Task AddAnysolaApiClient_429WithRetryAfter_RetriesAfterTheDelayWithTheToken()
    {
        var store = new InMemoryTokenStore(FakeTokenSets.Valid(_time));
        var calls = 0;
        var fake = Fake(api: _ => Interlocked.Increment(ref calls) == 1
            ? OAuthResponses.RetryAfter(HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(7))
            : new HttpResponseMessage(HttpStatusCode.Created));
        using var provider = ApiClientProvider(store, fake);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("Anysola");
        Assert.Equal(ApiBase, client.BaseAddress);

        var task = client.PostAsync(new Uri("api/agents/a1/run", UriKind.Relative), new StringContent("{}"));
        Assert.Equal(TimeSpan.FromSeconds(7), await _time.WaitForTimerAsync(d => d == TimeSpan.FromSeconds(7)));
        _time.Advance(TimeSpan.FromSeconds(7) - TimeSpan.FromMilliseconds(1));
        Assert.Single(fake.Requests, r => r.Path == "/api/agents/a1/run");
        _time.Advance(TimeSpan.FromMilliseconds(1));
        using var response = await task.WaitAsync(ObservableTimeProvider.HangGuard);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var attempts = fake.Requests.Where(r => r.Path == "/api/agents/a1/run").ToList();
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.Equal($"Bearer {FakeSecrets.Access(1)}", a.Authorization));
    }

    [Fact]
    public async Task AddAnysolaApiClient_TokenRefreshedBetweenAttempts_RetryCarriesTheCurrentToken()
    {
        var store = new InMemoryTokenStore(FakeTokenSets.Valid(_time));
        var calls = 0;
        var fake = Fake(api: _ => Interlocked.Increment(ref calls) == 1
            ? OAuthResponses.RetryAfter(HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(7))
            : new HttpResponseMessage(HttpStatusCode.OK));
        using var provider = ApiClientProvider(store, fake);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("Anysola");

        var task = client.GetAsync(new Uri("api/agents", UriKind.Relative));
        await _time.WaitForTimerAsync(d => d == TimeSpan.FromSeconds(7));
        Assert.Equal(FakeSecrets.Access(2), await provider.GetRequiredService<TokenManager>().RefreshAccessTokenAsync()); // the session moves on
        _time.Advance(TimeSpan.FromSeconds(7));
        using var response = await task.WaitAsync(ObservableTimeProvider.HangGuard);

        var attempts = fake.Requests.Where(r => r.Path == "/api/agents").Select(r => r.Authorization).ToList();
        Assert.Equal([$"Bearer {FakeSecrets.Access(1)}", $"Bearer {FakeSecrets.Access(2)}"], attempts);
    }

    [Fact]
    public async Task AddAnysolaApiClient_401OnARetriedAttempt_IsStillRefreshedAndResent()
    {
        var store = new InMemoryTokenStore(FakeTokenSets.Valid(_time));
        var calls = 0;
        var fake = Fake(api: r => Interlocked.Increment(ref calls) switch
        {
            1 => OAuthResponses.RetryAfter(HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(3)),
            _ when r.Authorization == $"Bearer {FakeSecrets.Access(2)}" => new HttpResponseMessage(HttpStatusCode.OK),
            _ => new HttpResponseMessage(HttpStatusCode.Unauthorized),
        });
        using var provider = ApiClientProvider(store, fake);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("Anysola");

        var task = client.GetAsync(new Uri("api/agents", UriKind.Relative));
        _time.Advance(await _time.WaitForTimerAsync(d => d == TimeSpan.FromSeconds(3)));
        using var response = await task.WaitAsync(ObservableTimeProvider.HangGuard);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(fake.Requests, r => r.Path == "/api/oauth/token");
    }

    [Fact]
    public async Task AddAnysolaApiClient_402_IsNotRetried()
    {
        var fake = Fake(api: _ => new HttpResponseMessage(HttpStatusCode.PaymentRequired));
        using var provider = ApiClientProvider(new InMemoryTokenStore(FakeTokenSets.Valid(_time)), fake);

        using var response = await provider.GetRequiredService<IHttpClientFactory>().CreateClient("Anysola").GetAsync(new Uri("api/agents", UriKind.Relative));

        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Single(fake.Requests);
    }

    [Fact]
    public void AddAnysolaApiClient_Typed_GetsTheConfiguredClient()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ITokenStore>(new InMemoryTokenStore());
        services.AddAnysolaAuth(o => o.BaseAddress = ApiBase);
        services.AddAnysolaApiClient<TypedApi>();
        using var provider = services.BuildServiceProvider();

        Assert.Equal(ApiBase, provider.GetRequiredService<TypedApi>().Http.BaseAddress);
    }

    public sealed class TypedApi(HttpClient http)
    {
        public HttpClient Http { get; } = http;
    }

    private ServiceProvider ApiClientProvider(InMemoryTokenStore store, ScriptedHandler fake)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ITokenStore>(store).AddSingleton<TimeProvider>(_time);
        services.AddAnysolaAuth(o =>
        {
            o.BaseAddress = ApiBase;
            o.MaxRetryAttempts = 3;
            o.RequestTimeout = TestOptions.RequestTimeout;
            o.RefreshTimeout = TestOptions.RefreshTimeout;
        });
        services.AddAnysolaApiClient();
        services.ConfigureHttpClientDefaults(b => b.ConfigurePrimaryHttpMessageHandler(() => fake));
        return services.BuildServiceProvider();
    }

    /// <summary>One fake for every client: OAuth endpoints by path, anything else is the API.</summary>
    private ScriptedHandler Fake(Func<CapturedRequest, HttpResponseMessage>? api = null) => new(request =>
    {
        switch (request.Path.Replace("/tenant", string.Empty, StringComparison.Ordinal))
        {
            case "/api/oauth/device":
                return OAuthResponses.Device(FakeSecrets.DeviceCode(1));
            case "/api/oauth/token":
                var n = Interlocked.Increment(ref _issued);
                return OAuthResponses.Tokens(FakeSecrets.Access(n), FakeSecrets.Refresh(n));
            default:
                return api?.Invoke(request) ?? (request.Authorization is null
                    ? new HttpResponseMessage(HttpStatusCode.Unauthorized)
                    : new HttpResponseMessage(HttpStatusCode.OK));
        }
    });
}
