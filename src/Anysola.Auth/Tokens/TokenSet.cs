using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Anysola.Auth;

/// <summary>
/// The tokens of one session. <see cref="ToString"/> and the debugger show a short fingerprint of each token,
/// never the token itself.
/// </summary>
[DebuggerDisplay("{ToString(),nq}")]
public sealed record TokenSet
{
    /// <summary>The bearer access token (<c>ays_oauth_…</c>).</summary>
    [DebuggerBrowsable(DebuggerBrowsableState.Never)]
    public required string AccessToken { get; init; }

    /// <summary>The refresh token (<c>ays_refresh_…</c>). Anysola rotates it on every refresh.</summary>
    [DebuggerBrowsable(DebuggerBrowsableState.Never)]
    public string? RefreshToken { get; init; }

    /// <summary>The token type; always <c>Bearer</c> for Anysola.</summary>
    public string TokenType { get; init; } = "Bearer";

    /// <summary>When <see cref="AccessToken"/> expires.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>
    /// When the token endpoint issued this set, if known. Used to keep the refresh-ahead window within the
    /// token's lifetime.
    /// </summary>
    public DateTimeOffset? IssuedAt { get; init; }

    /// <summary>The scopes granted, which may be fewer than were requested.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>
    /// A short, stable, non-reversible fingerprint of a token (the first 8 hex digits of its SHA-256), for showing
    /// which token is in use without revealing it.
    /// </summary>
    public static string Fingerprint(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return "none";
        }

        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(token), hash);
        return Convert.ToHexString(hash[..4]).ToLowerInvariant();
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("AccessToken = [redacted ").Append(Fingerprint(AccessToken))
            .Append("], RefreshToken = ").Append(RefreshToken is null ? "null" : $"[redacted {Fingerprint(RefreshToken)}]")
            .Append(", TokenType = ").Append(TokenType)
            .Append(", ExpiresAt = ").Append(ExpiresAt.ToString("O", CultureInfo.InvariantCulture))
            .Append(", IssuedAt = ").Append(IssuedAt?.ToString("O", CultureInfo.InvariantCulture) ?? "null")
            .Append(", Scopes = [").Append(string.Join(' ', Scopes)).Append(']');
        return true;
    }
}
