using System.Net;
using Microsoft.Extensions.Logging;

namespace Anysola.Auth.Tests.TestInfrastructure;

/// <summary>
/// One whole session against fakes, touching every code path that logs or emits telemetry: a login with
/// authorization_pending and slow_down, a failed then a successful refresh, a userinfo call whose 401 forces a
/// refresh, an API call whose 401 forces a refresh and resend, a logout whose revocation fails, and a denied login.
/// </summary>
public sealed class FullSessionScenario
{
    private const string DeviceGrant = "urn:ietf:params:oauth:grant-type:device_code";
    private int _polls;
    private int _refreshes;

    public FullSessionScenario()
    {
        OAuth = new ScriptedHandler(Answer);
        Api = new ScriptedHandler(request => request.Authorization == $"Bearer {FakeSecrets.Access(4)}"
            ? new HttpResponseMessage(HttpStatusCode.OK)
            : new HttpResponseMessage(HttpStatusCode.Unauthorized));
    }

    public ObservableTimeProvider Time { get; } = new();

    public ScriptedHandler OAuth { get; }

    public ScriptedHandler Api { get; }

    public InMemoryTokenStore Store { get; } = new();

    public List<Exception> Exceptions { get; } = [];

    public async Task RunAsync(ILoggerFactory? loggers = null)
    {
        var options = TestOptions.Create();
        var manager = new TokenManager(new HttpClient(OAuth), Store, options, Time, loggers?.CreateLogger<TokenManager>());

        var login = await Time.RunAsync(manager.LoginAsync((_, _) => Task.CompletedTask));
        Assert.Equal(FakeSecrets.Access(1), login.AccessToken);

        Time.Advance(TimeSpan.FromHours(2));
        Exceptions.Add(await Assert.ThrowsAsync<AnysolaAuthException>(() => manager.GetAccessTokenAsync().AsTask()));
        Assert.Equal(FakeSecrets.Access(2), await manager.GetAccessTokenAsync());

        var user = await manager.GetUserInfoAsync();
        Assert.Equal("user_1", user.Subject);

        using var api = new HttpClient(new AnysolaBearerTokenHandler(manager, options, loggers?.CreateLogger<AnysolaBearerTokenHandler>()) { InnerHandler = Api });
        using (var response = await api.GetAsync(new Uri(TestOptions.BaseAddress, "api/agents")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await manager.LogoutAsync();
        Assert.Null(await Store.GetAsync());

        var deviceClient = new DeviceAuthorizationClient(new HttpClient(OAuth), options, Time, loggers?.CreateLogger<DeviceAuthorizationClient>());
        var denied = await deviceClient.StartAsync();
        var error = await Assert.ThrowsAsync<AnysolaAuthException>(() => Time.RunAsync(deviceClient.WaitForTokensAsync(denied)));
        Assert.Equal(AnysolaAuthErrors.AccessDenied, error.Error);
        Exceptions.Add(error);
    }

    private HttpResponseMessage Answer(CapturedRequest request)
    {
        switch (request.Path)
        {
            case "/api/oauth/device":
                return OAuthResponses.Device(FakeSecrets.DeviceCode(_polls == 0 ? 1 : 2));

            case "/api/oauth/token" when request.Field("grant_type") == DeviceGrant:
                if (request.Field("device_code") == FakeSecrets.DeviceCode(2))
                {
                    return OAuthResponses.Error(HttpStatusCode.BadRequest, "access_denied", "The person denied the request.");
                }

                return Interlocked.Increment(ref _polls) switch
                {
                    1 => OAuthResponses.Pending(),
                    2 => OAuthResponses.Error(HttpStatusCode.BadRequest, "slow_down"),
                    _ => OAuthResponses.Tokens(FakeSecrets.Access(1), FakeSecrets.Refresh(1)),
                };

            case "/api/oauth/token":
                var n = Interlocked.Increment(ref _refreshes);
                return n == 1
                    ? OAuthResponses.Status(HttpStatusCode.ServiceUnavailable)
                    : OAuthResponses.Tokens(FakeSecrets.Access(n), FakeSecrets.Refresh(n));

            case "/api/oauth/userinfo":
                return request.Authorization == $"Bearer {FakeSecrets.Access(2)}"
                    ? new HttpResponseMessage(HttpStatusCode.Unauthorized)
                    : OAuthResponses.UserInfo();

            case "/api/oauth/revoke":
                return OAuthResponses.Status(HttpStatusCode.ServiceUnavailable);

            default:
                return new HttpResponseMessage(HttpStatusCode.NotFound);
        }
    }
}
