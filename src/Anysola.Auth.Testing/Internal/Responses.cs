using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Anysola.Auth.Testing.Internal;

/// <summary>Writing JSON and HTML answers.</summary>
internal static class Responses
{
    public const string JsonContentType = "application/json; charset=utf-8";

    // Readable bodies ("client's", not "client\u0027s"); every byte is still valid JSON.
    private static readonly JsonSerializerOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task JsonAsync(HttpContext context, int statusCode, JsonNode body, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = JsonContentType;
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString(s_json));
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>An OAuth answer (RFC 6749 §5.1: never cached).</summary>
    public static Task OAuthAsync(HttpContext context, int statusCode, JsonNode body, CancellationToken cancellationToken)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        return JsonAsync(context, statusCode, body, cancellationToken);
    }

    /// <summary>An RFC 6749 §5.2 error: 400 with <c>error</c> and <c>error_description</c>.</summary>
    public static Task OAuthErrorAsync(HttpContext context, string error, string description, CancellationToken cancellationToken, int statusCode = 400) =>
        OAuthAsync(context, statusCode, new JsonObject { ["error"] = error, ["error_description"] = description }, cancellationToken);

    public static async Task HtmlAsync(HttpContext context, int statusCode, string html, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'";
        var bytes = Encoding.UTF8.GetBytes(html);
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A JSON number of seconds: whole when it is whole, fractional otherwise.</summary>
    public static JsonNode Seconds(TimeSpan value)
    {
        var seconds = value.TotalSeconds;
        return seconds == Math.Floor(seconds) && Math.Abs(seconds) < long.MaxValue
            ? JsonValue.Create((long)seconds)
            : JsonValue.Create(seconds);
    }

    public static string Timestamp(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Whole seconds, rounded up, at least <paramref name="minimum"/>: the form of <c>Retry-After</c>.</summary>
    public static string RetryAfter(TimeSpan value, long minimum = 1) =>
        Math.Max(minimum, (long)Math.Ceiling(value.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
