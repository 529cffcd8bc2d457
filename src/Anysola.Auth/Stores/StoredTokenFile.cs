using System.Text.Json.Serialization;

namespace Anysola.Auth.Stores;

/// <summary>The on-disk format of <see cref="FileTokenStore"/>. <see cref="Version"/> changes when the format does.</summary>
internal sealed class StoredTokenFile
{
    public const int CurrentVersion = 1;

    [JsonPropertyName("version")] public int Version { get; set; }
    [JsonPropertyName("access_token")] public string? AccessToken { get; set; }
    [JsonPropertyName("refresh_token")] public string? RefreshToken { get; set; }
    [JsonPropertyName("token_type")] public string? TokenType { get; set; }
    [JsonPropertyName("expires_at")] public DateTimeOffset? ExpiresAt { get; set; }
    [JsonPropertyName("issued_at")] public DateTimeOffset? IssuedAt { get; set; }
    [JsonPropertyName("scopes")] public string[]? Scopes { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StoredTokenFile))]
internal sealed partial class TokenStoreJsonContext : JsonSerializerContext;
