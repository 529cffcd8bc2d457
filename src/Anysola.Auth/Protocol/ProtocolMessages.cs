using System.Text.Json.Serialization;

namespace Anysola.Auth.Protocol;

/// <summary>RFC 8628 §3.2 device authorization response, and the RFC 6749 §5.2 error members.</summary>
internal sealed class DeviceAuthorizationResponse : IOAuthErrorBody
{
    [JsonPropertyName("device_code")] public string? DeviceCode { get; set; }
    [JsonPropertyName("user_code")] public string? UserCode { get; set; }
    [JsonPropertyName("verification_uri")] public string? VerificationUri { get; set; }
    [JsonPropertyName("verification_uri_complete")] public string? VerificationUriComplete { get; set; }
    [JsonPropertyName("expires_in")] public double? ExpiresIn { get; set; }
    [JsonPropertyName("interval")] public double? Interval { get; set; }
    [JsonPropertyName("error")] public string? Error { get; set; }
    [JsonPropertyName("error_description")] public string? ErrorDescription { get; set; }
}

/// <summary>RFC 6749 §5.1 access token response, and the §5.2 error members.</summary>
internal sealed class TokenResponse : IOAuthErrorBody
{
    [JsonPropertyName("access_token")] public string? AccessToken { get; set; }
    [JsonPropertyName("refresh_token")] public string? RefreshToken { get; set; }
    [JsonPropertyName("token_type")] public string? TokenType { get; set; }
    [JsonPropertyName("expires_in")] public double? ExpiresIn { get; set; }
    [JsonPropertyName("scope")] public string? Scope { get; set; }
    [JsonPropertyName("interval")] public double? Interval { get; set; }
    [JsonPropertyName("error")] public string? Error { get; set; }
    [JsonPropertyName("error_description")] public string? ErrorDescription { get; set; }
}

/// <summary>An OAuth error body, or Anysola's <c>{ "error": "text" }</c>.</summary>
internal sealed class ErrorResponse : IOAuthErrorBody
{
    [JsonPropertyName("interval")] public double? Interval { get; set; }
    [JsonPropertyName("error")] public string? Error { get; set; }
    [JsonPropertyName("error_description")] public string? ErrorDescription { get; set; }
}

internal interface IOAuthErrorBody
{
    string? Error { get; }
    string? ErrorDescription { get; }

    /// <summary>A new polling interval, which some servers send with <c>slow_down</c>.</summary>
    double? Interval { get; }
}

[JsonSourceGenerationOptions(
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow,
    AllowTrailingCommas = false,
    MaxDepth = 32)]
[JsonSerializable(typeof(DeviceAuthorizationResponse))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class ProtocolJsonContext : JsonSerializerContext;
