using System.Net;
using System.Text;
using System.Text.Json;
using Anysola.Auth.Tests.TestInfrastructure;

namespace Anysola.Auth.Tests.Protocol;

/// <summary>
/// Defensive parsing: every malformed or hostile response, fed to every operation it applies to, ends in
/// <see cref="AnysolaAuthException"/> (never another exception type, never a hang). Revocation failures are
/// swallowed by logout by design, so for revoke the store must be cleared and nothing may escape.
/// </summary>
public sealed class HostileResponseTests
{
    public enum Operation
    {
        DeviceStart,
        DevicePoll,
        Refresh,
        Revoke,
        UserInfo,
    }

    private const int TenMiB = 10 * 1024 * 1024;

    private static readonly Dictionary<string, Func<Operation, HttpResponseMessage?>> Cases = new()
    {
        ["truncated JSON"] = op => Raw(HttpStatusCode.OK, ValidJson(op)[..(ValidJson(op).Length / 2)], "application/json"),
        ["HTML 502 page from a proxy"] = _ => Raw(HttpStatusCode.BadGateway, "<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>", "text/html"),
        ["HTML 200 page (captive portal)"] = _ => Raw(HttpStatusCode.OK, "<!DOCTYPE html><html><body>Sign in to the hotel Wi-Fi</body></html>", "text/html"),
        ["empty 200"] = _ => new HttpResponseMessage(HttpStatusCode.OK),
        ["empty 200 declared as JSON"] = _ => Raw(HttpStatusCode.OK, string.Empty, "application/json"),
        ["whitespace-only 200"] = _ => Raw(HttpStatusCode.OK, " \r\n\t ", "application/json"),
        ["null literal"] = _ => Raw(HttpStatusCode.OK, "null", "application/json"),
        ["JSON array instead of object"] = op => Raw(HttpStatusCode.OK, $"[{ValidJson(op)}]", "application/json"),
        ["JSON string instead of object"] = _ => Raw(HttpStatusCode.OK, "\"ok\"", "application/json"),
        ["text/plain garbage"] = _ => Raw(HttpStatusCode.OK, "OK!! everything is fine \u0000\u0001", "text/plain"),
        ["trailing garbage after the object"] = op => Raw(HttpStatusCode.OK, ValidJson(op) + " }{ trailing", "application/json"),
        ["invalid UTF-8 in a required member"] = op => InvalidUtf8(op),
        ["deeply nested JSON"] = op => Raw(HttpStatusCode.OK, ValidJson(op)[..^1] + ",\"deep\":" + new string('[', 5000) + new string(']', 5000) + "}", "application/json"),
        ["deeply nested JSON on an error status"] = _ => Raw(HttpStatusCode.BadRequest, "{\"error\":" + new string('[', 5000) + new string(']', 5000) + "}", "application/json"),
        ["error member on a 200"] = op => Mutate(op, d => d["error"] = "invalid_request"),
        ["error member of the wrong type on a 400"] = _ => Raw(HttpStatusCode.BadRequest, "{\"error\":42,\"error_description\":[1,2]}", "application/json"),
        ["human-readable error text on a 500"] = _ => Raw(HttpStatusCode.InternalServerError, "{\"error\":\"Something went badly wrong, sorry!\"}", "application/json"),
        ["OAuth error on a 400"] = _ => OAuthResponses.Error(HttpStatusCode.BadRequest, "invalid_request", "Missing parameter."),
        ["429 with a one-day Retry-After"] = _ => OAuthResponses.RetryAfter(HttpStatusCode.TooManyRequests, TimeSpan.FromDays(1)),
        ["10 MiB body with Content-Length"] = op => Large(op, withLength: true),
        ["10 MiB body without Content-Length"] = op => Large(op, withLength: false),
        ["endless body without Content-Length"] = _ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new GeneratedStream("{\"x\":\""u8.ToArray(), length: null)) },
        ["wrong JSON types"] = op => op switch
        {
            Operation.DeviceStart => Mutate(op, d => d["device_code"] = 123),
            Operation.UserInfo => Mutate(op, d => d["sub"] = 123),
            _ => Mutate(op, d => d["access_token"] = 123),
        },
        ["object where a string belongs"] = op => op switch
        {
            Operation.DeviceStart => Mutate(op, d => d["user_code"] = new { nested = true }),
            Operation.UserInfo => Mutate(op, d => d["email"] = new { nested = true }),
            _ => Mutate(op, d => d["refresh_token"] = new { nested = true }),
        },
        ["expires_in is \"abc\""] = op => op == Operation.UserInfo ? null : Mutate(op, d => d["expires_in"] = "abc"),
        ["negative expires_in"] = op => op == Operation.UserInfo ? null : Mutate(op, d => d["expires_in"] = -60),
        ["expires_in is true"] = op => op == Operation.UserInfo ? null : Mutate(op, d => d["expires_in"] = true),
        ["negative interval"] = op => op == Operation.DeviceStart ? Mutate(op, d => d["interval"] = -5) : null,
        ["absurd interval"] = op => op == Operation.DeviceStart ? Mutate(op, d => d["interval"] = 1e12) : null,
        ["missing device_code"] = op => op == Operation.DeviceStart ? Mutate(op, d => d.Remove("device_code")) : null,
        ["missing user_code"] = op => op == Operation.DeviceStart ? Mutate(op, d => d.Remove("user_code")) : null,
        ["empty user_code"] = op => op == Operation.DeviceStart ? Mutate(op, d => d["user_code"] = "  ") : null,
        ["no verification uri at all"] = op => op == Operation.DeviceStart ? Mutate(op, d =>
        {
            d.Remove("verification_uri");
            d.Remove("verification_uri_complete");
        }) : null,
        ["javascript: verification uri"] = op => op == Operation.DeviceStart ? Mutate(op, d =>
        {
            d["verification_uri"] = "javascript:alert(1)";
            d.Remove("verification_uri_complete");
        }) : null,
        ["relative verification uri"] = op => op == Operation.DeviceStart ? Mutate(op, d => d["verification_uri_complete"] = "/device?code=1") : null,
        ["non-Bearer token_type"] = op => IsTokenOperation(op) ? Mutate(op, d => d["token_type"] = "mac") : null,
        ["missing access_token"] = op => IsTokenOperation(op) ? Mutate(op, d => d.Remove("access_token")) : null,
        ["empty access_token"] = op => IsTokenOperation(op) ? Mutate(op, d => d["access_token"] = string.Empty) : null,
        ["userinfo without sub"] = op => op == Operation.UserInfo ? Mutate(op, d => d.Remove("sub")) : null,
    };

    public static TheoryData<string, Operation> Combinations()
    {
        var data = new TheoryData<string, Operation>();
        foreach (var (name, create) in Cases)
        {
            foreach (var op in Enum.GetValues<Operation>())
            {
                using var probe = create(op);
                if (probe is not null)
                {
                    data.Add(name, op);
                }
            }
        }

        return data;
    }

    [Fact]
    public void Cases_CoverTheRequiredVariety()
    {
        Assert.True(Cases.Count >= 15);
        foreach (var op in Enum.GetValues<Operation>())
        {
            Assert.True(Cases.Values.Count(c => c(op) is not null) >= 15, $"{op} gets fewer than 15 hostile responses");
        }
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Operation_HostileResponse_FailsWithAnysolaAuthException(string caseName, Operation operation)
    {
        var time = new ObservableTimeProvider();
        var handler = new ScriptedHandler(_ => Cases[caseName](operation)!);
        var options = TestOptions.Create(); // MaxRetryAttempts = 0: one hostile answer per operation
        var http = new HttpClient(handler);

        switch (operation)
        {
            case Operation.DeviceStart:
                await AssertAuthFailureAsync(new DeviceAuthorizationClient(http, options, time).StartAsync());
                break;

            case Operation.DevicePoll:
                var authorization = new DeviceAuthorization
                {
                    DeviceCode = FakeSecrets.DeviceCode(1),
                    UserCode = FakeSecrets.UserCode,
                    VerificationUri = new Uri("https://anysola.test/device"),
                    ExpiresAt = time.GetUtcNow() + TimeSpan.FromSeconds(40),
                    Interval = TimeSpan.FromSeconds(5),
                };

                // Transient answers keep the loop polling until the deadline; the clock is driven so it ends.
                await AssertAuthFailureAsync(time.RunAsync(new DeviceAuthorizationClient(http, options, time).WaitForTokensAsync(authorization)));
                break;

            case Operation.Refresh:
                var refreshing = new TokenManager(http, new InMemoryTokenStore(FakeTokenSets.Expired(time)), options, time);
                await AssertAuthFailureAsync(refreshing.GetAccessTokenAsync().AsTask());
                break;

            case Operation.UserInfo:
                var asking = new TokenManager(http, new InMemoryTokenStore(FakeTokenSets.Valid(time)), options, time);
                await AssertAuthFailureAsync(asking.GetUserInfoAsync());
                break;

            case Operation.Revoke:
                var store = new InMemoryTokenStore(FakeTokenSets.Valid(time));
                var leaving = new TokenManager(http, store, options, time);
                var error = await Record.ExceptionAsync(() => leaving.LogoutAsync().WaitAsync(ObservableTimeProvider.HangGuard));
                Assert.Null(error);
                Assert.Null(await store.GetAsync());
                Assert.Single(handler.Requests, r => r.Path == "/api/oauth/revoke");
                break;
        }

        Assert.NotEmpty(handler.Requests);
    }

    private static async Task AssertAuthFailureAsync(Task operation)
    {
        var error = await Record.ExceptionAsync(() => operation.WaitAsync(ObservableTimeProvider.HangGuard));
        Assert.NotNull(error);
        Assert.True(error is AnysolaAuthException, $"Expected AnysolaAuthException, got {error.GetType().FullName}: {error.Message}");
        Assert.DoesNotContain(FakeSecrets.DeviceCode(1), error.ToString(), StringComparison.Ordinal);
    }

    private static bool IsTokenOperation(Operation op) => op is Operation.DevicePoll or Operation.Refresh or Operation.Revoke;

    private static Dictionary<string, object?> ValidBody(Operation op) => op switch
    {
        Operation.DeviceStart => new()
        {
            ["device_code"] = FakeSecrets.DeviceCode(1),
            ["user_code"] = FakeSecrets.UserCode,
            ["verification_uri"] = "https://anysola.test/device",
            ["verification_uri_complete"] = "https://anysola.test/device?user_code=WDJB-MJHT",
            ["expires_in"] = 900,
            ["interval"] = 5,
        },
        Operation.UserInfo => new()
        {
            ["sub"] = "user_1",
            ["email"] = "ada@example.test",
            ["workspace"] = new { id = "ws_1", name = "Acme" },
            ["role"] = "member",
        },
        _ => new()
        {
            ["access_token"] = FakeSecrets.Access(5),
            ["refresh_token"] = FakeSecrets.Refresh(5),
            ["token_type"] = "Bearer",
            ["expires_in"] = 3600,
            ["scope"] = "agents:read",
        },
    };

    private static string ValidJson(Operation op) => JsonSerializer.Serialize(ValidBody(op));

    private static HttpResponseMessage Mutate(Operation op, Action<Dictionary<string, object?>> change)
    {
        var body = ValidBody(op);
        change(body);
        return Raw(HttpStatusCode.OK, JsonSerializer.Serialize(body), "application/json");
    }

    private static HttpResponseMessage Raw(HttpStatusCode status, string body, string mediaType) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, mediaType) };

    private static HttpResponseMessage Bytes(HttpStatusCode status, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return new HttpResponseMessage(status) { Content = content };
    }

    /// <summary>The operation's key member (device_code, access_token, sub) holds bytes that are not UTF-8.</summary>
    private static HttpResponseMessage InvalidUtf8(Operation op)
    {
        var member = op switch
        {
            Operation.DeviceStart => "device_code",
            Operation.UserInfo => "sub",
            _ => "access_token",
        };
        var body = ValidBody(op);
        body[member] = "@@INVALID@@";
        var parts = JsonSerializer.Serialize(body).Split("@@INVALID@@");
        return Bytes(HttpStatusCode.OK, [.. Encoding.UTF8.GetBytes(parts[0]), 0xFF, 0xFE, 0xC3, .. Encoding.UTF8.GetBytes(parts[1])]);
    }

    /// <summary>A JSON object that starts validly and runs to 10 MiB; generated, not allocated.</summary>
    private static HttpResponseMessage Large(Operation op, bool withLength)
    {
        var prefix = Encoding.UTF8.GetBytes(ValidJson(op)[..^1] + ",\"padding\":\"");
        var content = new StreamContent(new GeneratedStream(prefix, TenMiB));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        if (withLength)
        {
            content.Headers.ContentLength = prefix.Length + TenMiB;
        }

        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }
}
