using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Anysola.Auth.Tests.TestInfrastructure;

namespace Anysola.Auth.Tests.Http;

/// <summary>
/// The bearer handler in a real HttpClient pipeline (HttpClient -> AnysolaBearerTokenHandler -> fake API), with a
/// TokenManager whose own HttpClient talks to a fake token endpoint.
/// </summary>
public sealed class AnysolaBearerTokenHandlerTests
{
    private static readonly Uri Agents = new(TestOptions.BaseAddress, "api/agents");
    private readonly ObservableTimeProvider _time = new();
    private readonly InMemoryTokenStore _store;
    private int _issued = 1;

    public AnysolaBearerTokenHandlerTests()
    {
        _store = new InMemoryTokenStore(FakeTokenSets.Valid(_time));
        TokenEndpoint = new ScriptedHandler(_ =>
        {
            var n = Interlocked.Increment(ref _issued);
            return OAuthResponses.Tokens(FakeSecrets.Access(n), FakeSecrets.Refresh(n));
        });
    }

    private ScriptedHandler TokenEndpoint { get; set; }

    [Fact]
    public async Task SendAsync_AnysolaOrigin_AttachesTheBearerToken()
    {
        var api = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.OK));

        using var response = await Client(api).GetAsync(Agents);

        Assert.Equal($"Bearer {FakeSecrets.Access(1)}", Assert.Single(api.Requests).Authorization);
        Assert.Empty(TokenEndpoint.Requests);
    }

    [Fact]
    public async Task SendAsync_401_RefreshesOnceAndResendsWithTheNewToken()
    {
        var api = new ScriptedHandler(r => r.Authorization == $"Bearer {FakeSecrets.Access(2)}"
            ? new HttpResponseMessage(HttpStatusCode.OK)
            : new HttpResponseMessage(HttpStatusCode.Unauthorized));

        using var response = await Client(api).GetAsync(Agents);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(TokenEndpoint.Requests);
        Assert.Equal([$"Bearer {FakeSecrets.Access(1)}", $"Bearer {FakeSecrets.Access(2)}"], api.Requests.Select(r => r.Authorization));
        Assert.Equal(FakeSecrets.Access(2), (await _store.GetAsync())!.AccessToken);
    }

    [Fact]
    public async Task SendAsync_SecondConsecutive401_IsReturnedNotRetried()
    {
        var api = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.Unauthorized));

        using var response = await Client(api).GetAsync(Agents);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Single(TokenEndpoint.Requests);
        Assert.Equal(2, api.Requests.Count);
    }

    [Fact]
    public async Task SendAsync_200ConcurrentRequestsRejected_RefreshOnlyOnce()
    {
        const int Callers = 200;
        var rejected = 0;
        var allRejected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var api = new ScriptedHandler(r =>
        {
            if (r.Authorization == $"Bearer {FakeSecrets.Access(2)}")
            {
                return new HttpResponseMessage(HttpStatusCode.OK);
            }

            if (Interlocked.Increment(ref rejected) == Callers)
            {
                allRejected.TrySetResult();
            }

            return new HttpResponseMessage(HttpStatusCode.Unauthorized);
        });
        TokenEndpoint = new ScriptedHandler(async (_, cancellationToken) =>
        {
            await allRejected.Task.WaitAsync(cancellationToken); // answer only once every caller has seen its 401
            return OAuthResponses.Tokens(FakeSecrets.Access(2), FakeSecrets.Refresh(2));
        });
        var client = Client(api);

        var responses = await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(() => client.GetAsync(Agents))))
            .WaitAsync(ObservableTimeProvider.HangGuard);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(TokenEndpoint.Requests);
        Assert.Equal(Callers, rejected);
        Assert.Equal(Callers * 2, api.Requests.Count);
    }

    public static TheoryData<string> ReplayableBodies => ["StringContent", "JsonContent", "ByteArrayContent", "seekable StreamContent", "FormUrlEncodedContent"];

    [Theory]
    [MemberData(nameof(ReplayableBodies))]
    public async Task SendAsync_401WithReplayableBody_ResendsTheSameBytes(string kind)
    {
        var api = new ScriptedHandler(r => r.Authorization == $"Bearer {FakeSecrets.Access(2)}"
            ? new HttpResponseMessage(HttpStatusCode.Created)
            : new HttpResponseMessage(HttpStatusCode.Unauthorized));
        var json = """{"action":"deploy","detail":"ünïcode ✓","durationMs":1200}""";
        using HttpContent content = kind switch
        {
            "StringContent" => new StringContent(json, Encoding.UTF8, "application/json"),
            "JsonContent" => JsonContent.Create(new { action = "deploy", detail = "ünïcode ✓", durationMs = 1200 }),
            "ByteArrayContent" => new ByteArrayContent(Encoding.UTF8.GetBytes(json)),
            "seekable StreamContent" => new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json))),
            _ => new FormUrlEncodedContent([new("action", "deploy"), new("detail", "ünïcode ✓")]),
        };

        using var response = await Client(api).PostAsync(new Uri(TestOptions.BaseAddress, "api/agents/a1/run"), content);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(2, api.Requests.Count);
        var (first, second) = (api.Requests[0], api.Requests[1]);
        Assert.NotEmpty(first.Body!);
        Assert.Equal(first.Body, second.Body);
        Assert.Equal(first.MediaType, second.MediaType);
    }

    [Fact]
    public async Task SendAsync_401WithNonSeekableStreamBody_ReturnsThe401WithoutRefreshing()
    {
        var api = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.Unauthorized));
        using var content = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes("""{"action":"deploy"}""")));

        using var response = await Client(api).PostAsync(new Uri(TestOptions.BaseAddress, "api/agents/a1/run"), content);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Single(api.Requests);
        Assert.Empty(TokenEndpoint.Requests);
    }

    [Fact]
    public async Task SendAsync_403InsufficientScope_IsReturnedUntouchedWithoutRefresh()
    {
        var api = new ScriptedHandler(_ =>
        {
            var forbidden = new HttpResponseMessage(HttpStatusCode.Forbidden) { Content = new StringContent("""{"error":"Missing scope agents:write"}""") };
            forbidden.Headers.WwwAuthenticate.ParseAdd("Bearer error=\"insufficient_scope\", scope=\"agents:write\"");
            return forbidden;
        });

        using var response = await Client(api).DeleteAsync(new Uri(TestOptions.BaseAddress, "api/agents/a1"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Bearer error=\"insufficient_scope\", scope=\"agents:write\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("""{"error":"Missing scope agents:write"}""", await response.Content.ReadAsStringAsync());
        Assert.Single(api.Requests);
        Assert.Empty(TokenEndpoint.Requests);
    }

    [Fact]
    public async Task SendAsync_RequestWithItsOwnAuthorization_KeepsIt()
    {
        var api = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.Unauthorized));
        using var request = new HttpRequestMessage(HttpMethod.Get, Agents);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");

        using var response = await Client(api, new InMemoryTokenStore()).SendAsync(request);

        Assert.Equal("Basic dXNlcjpwYXNz", Assert.Single(api.Requests).Authorization);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(TokenEndpoint.Requests);
    }

    [Theory]
    [InlineData("https://evil.test/api/agents")]
    [InlineData("https://anysola.test.evil.test/api/agents")]
    [InlineData("https://anysola.test:8443/api/agents")]
    [InlineData("http://anysola.test/api/agents")]
    [InlineData("https://anysola.test@evil.test/api/agents")]
    [InlineData("https://api.anysola.test/api/agents")]
    public async Task SendAsync_OtherOrigin_SendsNoToken(string uri)
    {
        var api = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.Unauthorized));

        using var response = await Client(api).GetAsync(new Uri(uri));

        Assert.Null(Assert.Single(api.Requests).Authorization);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(TokenEndpoint.Requests);
    }

    [Fact]
    public async Task SendAsync_NotSignedIn_ThrowsLoginRequiredAndSendsNothing()
    {
        var api = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.OK));

        await Assert.ThrowsAsync<AnysolaLoginRequiredException>(() => Client(api, new InMemoryTokenStore()).GetAsync(Agents));

        Assert.Empty(api.Requests);
        Assert.Empty(TokenEndpoint.Requests);
    }

    [Fact]
    public async Task SendAsync_RefreshRejectedWithInvalidGrant_ThrowsLoginRequired()
    {
        TokenEndpoint = new ScriptedHandler(_ => OAuthResponses.Error(HttpStatusCode.BadRequest, "invalid_grant"));
        var api = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.Unauthorized));

        await Assert.ThrowsAsync<AnysolaLoginRequiredException>(() => Client(api).GetAsync(Agents));

        Assert.Single(api.Requests);
        Assert.Null(await _store.GetAsync());
    }

    [Fact]
    public void Send_SynchronousToAnysolaOrigin_ThrowsNotSupported()
    {
        var api = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.OK));
        using var request = new HttpRequestMessage(HttpMethod.Get, Agents);

        Assert.Throws<NotSupportedException>(() => Client(api).Send(request));
        Assert.Empty(api.Requests);
    }

    [Fact]
    public void Send_SynchronousToAnotherOrigin_PassesThrough()
    {
        var api = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.OK));
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://example.test/");

        using var response = Client(api).Send(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(Assert.Single(api.Requests).Authorization);
    }

    private HttpClient Client(ScriptedHandler api, InMemoryTokenStore? store = null)
    {
        // The token endpoint is read now: tests that replace it do so before building the client.
        var options = TestOptions.Create();
        var manager = new TokenManager(new HttpClient(TokenEndpoint), store ?? _store, options, _time);
        return new HttpClient(new AnysolaBearerTokenHandler(manager, options) { InnerHandler = api });
    }
}
