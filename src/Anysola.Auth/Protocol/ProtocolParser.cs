using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Anysola.Auth.Protocol;

/// <summary>Turns response bodies into validated values; anything malformed becomes <see cref="AnysolaAuthException"/>.</summary>
internal static class ProtocolParser
{
    /// <summary>No token lifetime beyond this is believed; it also keeps date arithmetic far from overflow.</summary>
    private static readonly TimeSpan MaxTokenLifetime = TimeSpan.FromDays(365);

    /// <summary>Used when a token response has no <c>expires_in</c> (RFC 6749 makes it optional).</summary>
    internal static readonly TimeSpan AssumedTokenLifetime = TimeSpan.FromHours(1);

    private static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    public static T Deserialize<T>(ProtocolResponse response, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        if (response.Body.IsEmpty)
        {
            throw Invalid(response, "The response body is empty.");
        }

        if (!response.LooksLikeJsonObject)
        {
            throw Invalid(response, $"The response is not a JSON object ({response.MediaType ?? "no content type"}).");
        }

        try
        {
            return JsonSerializer.Deserialize(response.Body.Span, typeInfo) ?? throw Invalid(response, "The response body is null.");
        }
        catch (JsonException ex)
        {
            // The JSON path helps; the message never repeats the body (it may hold a token).
            throw Invalid(response, $"The response is not valid JSON for this endpoint (at {ex.Path ?? "$"}, line {ex.LineNumber}).", ex);
        }
    }

    public static DeviceAuthorization ToDeviceAuthorization(DeviceAuthorizationResponse body, HttpStatusCode status, DateTimeOffset now, TimeSpan maxLifetime)
    {
        if (string.IsNullOrWhiteSpace(body.DeviceCode))
        {
            throw Invalid(status, "The device authorization response has no device_code.");
        }

        if (string.IsNullOrWhiteSpace(body.UserCode))
        {
            throw Invalid(status, "The device authorization response has no user_code.");
        }

        var complete = ParseUri(body.VerificationUriComplete, "verification_uri_complete", status);
        var verification = ParseUri(body.VerificationUri, "verification_uri", status);
        if (verification is null && complete is null)
        {
            throw Invalid(status, "The device authorization response has neither verification_uri nor verification_uri_complete.");
        }

        // Without verification_uri, the page is the complete URI without the code in its query.
        verification ??= new Uri(complete!.GetLeftPart(UriPartial.Path));

        var lifetime = maxLifetime;
        if (body.ExpiresIn is { } expiresIn)
        {
            if (!double.IsFinite(expiresIn) || expiresIn <= 0)
            {
                throw Invalid(status, "The device authorization response has an invalid expires_in.");
            }

            lifetime = TimeSpan.FromSeconds(Math.Min(expiresIn, maxLifetime.TotalSeconds));
        }

        var interval = DefaultInterval;
        if (body.Interval is { } seconds)
        {
            if (!double.IsFinite(seconds) || seconds < 0 || seconds > 3600)
            {
                throw Invalid(status, "The device authorization response has an invalid interval.");
            }

            // Zero is no pacing at all; treat it as absent (RFC 8628 §3.2 default of 5 seconds).
            interval = seconds == 0 ? DefaultInterval : TimeSpan.FromSeconds(seconds);
        }

        return new DeviceAuthorization
        {
            DeviceCode = body.DeviceCode,
            UserCode = body.UserCode,
            VerificationUri = verification,
            VerificationUriComplete = complete,
            ExpiresAt = now + lifetime,
            Interval = interval,
        };
    }

    public static TokenSet ToTokenSet(TokenResponse body, HttpStatusCode status, DateTimeOffset now, TokenSet? previous, IReadOnlyList<string> requestedScopes)
    {
        if (string.IsNullOrWhiteSpace(body.AccessToken))
        {
            throw Invalid(status, "The token response has no access_token.");
        }

        if (body.TokenType is { } type && !string.Equals(type, "Bearer", StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid(status, $"The token response has token_type '{Truncate(type)}'; only Bearer is supported.");
        }

        var lifetime = AssumedTokenLifetime;
        if (body.ExpiresIn is { } expiresIn)
        {
            if (!double.IsFinite(expiresIn) || expiresIn < 0)
            {
                throw Invalid(status, "The token response has an invalid expires_in.");
            }

            lifetime = TimeSpan.FromSeconds(Math.Min(expiresIn, MaxTokenLifetime.TotalSeconds));
        }

        // RFC 6749 §5.1: an omitted scope means the scope requested (or, on refresh, the scope held).
        IReadOnlyList<string> scopes = body.Scope is not null
            ? body.Scope.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : previous?.Scopes ?? requestedScopes;

        return new TokenSet
        {
            AccessToken = body.AccessToken,

            // A refresh response without a refresh token keeps the one we have (RFC 6749 §6).
            RefreshToken = string.IsNullOrEmpty(body.RefreshToken) ? previous?.RefreshToken : body.RefreshToken,
            TokenType = "Bearer",
            ExpiresAt = now + lifetime,
            IssuedAt = now,
            Scopes = scopes,
        };
    }

    public static AnysolaUserInfo ParseUserInfo(ProtocolResponse response)
    {
        if (response.Body.IsEmpty || !response.LooksLikeJsonObject)
        {
            throw Invalid(response, $"The userinfo response is not a JSON object ({response.MediaType ?? "no content type"}).");
        }

        try
        {
            using var document = JsonDocument.Parse(response.Body, new JsonDocumentOptions { MaxDepth = 32 });
            var root = document.RootElement;
            if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String)
            {
                throw ErrorOnSuccess(error.GetString()!, OptionalString(root, "error_description"), response.StatusCode);
            }

            var subject = OptionalString(root, "sub") ?? OptionalString(root, "id");
            if (string.IsNullOrWhiteSpace(subject))
            {
                throw Invalid(response, "The userinfo response has no sub.");
            }

            string? workspaceId = null, workspaceName = null;
            if (root.TryGetProperty("workspace", out var workspace))
            {
                if (workspace.ValueKind == JsonValueKind.Object)
                {
                    workspaceId = OptionalString(workspace, "id");
                    workspaceName = OptionalString(workspace, "name");
                }
                else if (workspace.ValueKind == JsonValueKind.String)
                {
                    workspaceName = workspace.GetString();
                }
            }

            var scopes = OptionalString(root, "scope")?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
            return new AnysolaUserInfo
            {
                Subject = subject,
                Name = OptionalString(root, "name"),
                Email = OptionalString(root, "email"),
                WorkspaceId = workspaceId,
                WorkspaceName = workspaceName,
                Role = OptionalString(root, "role"),
                Scopes = scopes,
                RawJson = System.Text.Encoding.UTF8.GetString(response.Body.Span),
            };
        }
        catch (JsonException ex)
        {
            throw Invalid(response, "The userinfo response is not valid JSON.", ex);
        }
        catch (InvalidOperationException ex)
        {
            // JsonElement.GetString() reports invalid UTF-8 this way rather than as a JsonException.
            throw Invalid(response, "The userinfo response holds text that is not valid UTF-8.", ex);
        }
    }

    /// <summary>
    /// An <c>error</c> member on a 2xx response is an error, but its code reaches messages and logs only if it is a
    /// well-formed OAuth code; anything else (control characters, markup, prose) is a malformed response.
    /// </summary>
    public static AnysolaAuthException ErrorOnSuccess(string error, string? description, HttpStatusCode status, TimeSpan? pollInterval = null) =>
        IsOAuthErrorCode(error)
            ? new AnysolaAuthException(error, description, status) { PollInterval = pollInterval }
            : new AnysolaAuthException(AnysolaAuthErrors.InvalidResponse, "The response carries an error member that is not an OAuth error code.", status);

    /// <summary>OAuth error codes are short ASCII words with underscores (RFC 6749 §5.2); human-readable text is not one.</summary>
    public static bool IsOAuthErrorCode(string value)
    {
        if (value.Length is 0 or > 64)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-' or '.' or ':'))
            {
                return false;
            }
        }

        return true;
    }

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Null => null,
            _ => throw new AnysolaAuthException(AnysolaAuthErrors.InvalidResponse, $"The member '{name}' is not a string.", HttpStatusCode.OK),
        } : null;

    private static Uri? ParseUri(string? value, string member, HttpStatusCode status)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw Invalid(status, $"The device authorization response has an invalid {member}.");
        }

        return uri;
    }

    private static string Truncate(string value) => value.Length <= 20 ? value : value[..20] + "…";

    private static AnysolaAuthException Invalid(HttpStatusCode status, string message) =>
        new(AnysolaAuthErrors.InvalidResponse, message, status);

    private static AnysolaAuthException Invalid(ProtocolResponse response, string message, Exception? inner = null) =>
        new(AnysolaAuthErrors.InvalidResponse, message, response.StatusCode, innerException: inner);
}
