using System.Net;
using System.Text;
using System.Text.Json;

namespace Anysola.Auth.Tests.TestInfrastructure;

/// <summary>Obviously fake secrets, each with a unique tail so a leak of any of them is detectable.</summary>
public static class FakeSecrets
{
    public static string Access(int n) => $"ays_oauth_FAKE_{n}_a7Qx93kZ";

    public static string Refresh(int n) => $"ays_refresh_FAKE_{n}_r4Wm28pL";

    public static string DeviceCode(int n) => $"FAKE-DEVICE-{n}-d5Tn61vB";

    public const string UserCode = "WDJB-MJHT";

    /// <summary>Every secret a test with up to <paramref name="count"/> of each may have used.</summary>
    public static IReadOnlyList<string> All(int count = 10) =>
        [.. Enumerable.Range(0, count + 1).SelectMany(n => new[] { Access(n), Refresh(n), DeviceCode(n) })];
}

/// <summary>Protocol responses as Anysola (or a hostile proxy) sends them.</summary>
public static class OAuthResponses
{
    public static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    public static HttpResponseMessage Json(HttpStatusCode status, object body) =>
        Json(status, JsonSerializer.Serialize(body));

    public static HttpResponseMessage Device(string deviceCode, int expiresIn = 900, int? interval = 5) =>
        Json(HttpStatusCode.OK, new Dictionary<string, object?>
        {
            ["device_code"] = deviceCode,
            ["user_code"] = FakeSecrets.UserCode,
            ["verification_uri"] = "https://anysola.test/device",
            ["verification_uri_complete"] = $"https://anysola.test/device?user_code={FakeSecrets.UserCode}",
            ["expires_in"] = expiresIn,
            ["interval"] = interval,
        });

    public static HttpResponseMessage Tokens(string accessToken, string? refreshToken, int expiresIn = 3600, string scope = "agents:read") =>
        Json(HttpStatusCode.OK, new Dictionary<string, object?>
        {
            ["access_token"] = accessToken,
            ["refresh_token"] = refreshToken,
            ["token_type"] = "Bearer",
            ["expires_in"] = expiresIn,
            ["scope"] = scope,
        });

    public static HttpResponseMessage Error(HttpStatusCode status, string error, string? description = null, int? interval = null)
    {
        var body = new Dictionary<string, object?> { ["error"] = error };
        if (description is not null)
        {
            body["error_description"] = description;
        }

        if (interval is not null)
        {
            body["interval"] = interval;
        }

        return Json(status, body);
    }

    public static HttpResponseMessage Pending() => Error(HttpStatusCode.BadRequest, "authorization_pending");

    public static HttpResponseMessage UserInfo() =>
        Json(HttpStatusCode.OK, """{"sub":"user_1","name":"Ada","email":"ada@example.test","workspace":{"id":"ws_1","name":"Acme"},"role":"member","scope":"agents:read"}""");

    public static HttpResponseMessage Status(HttpStatusCode status) => new(status);

    public static HttpResponseMessage RetryAfter(HttpStatusCode status, TimeSpan delay)
    {
        var response = new HttpResponseMessage(status);
        response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(delay);
        return response;
    }
}

/// <summary>Token sets relative to a clock.</summary>
public static class FakeTokenSets
{
    public static TokenSet Valid(TimeProvider time, int n = 1, TimeSpan? lifetime = null) => new()
    {
        AccessToken = FakeSecrets.Access(n),
        RefreshToken = FakeSecrets.Refresh(n),
        ExpiresAt = time.GetUtcNow() + (lifetime ?? TimeSpan.FromHours(1)),
        IssuedAt = time.GetUtcNow(),
        Scopes = ["agents:read"],
    };

    public static TokenSet Expired(TimeProvider time, int n = 1) => new()
    {
        AccessToken = FakeSecrets.Access(n),
        RefreshToken = FakeSecrets.Refresh(n),
        ExpiresAt = time.GetUtcNow() - TimeSpan.FromMinutes(1),
        IssuedAt = time.GetUtcNow() - TimeSpan.FromHours(1),
        Scopes = ["agents:read"],
    };
}
