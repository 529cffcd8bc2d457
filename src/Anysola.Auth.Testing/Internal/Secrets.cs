using System.Security.Cryptography;

namespace Anysola.Auth.Testing.Internal;

/// <summary>Random identifiers, tokens and user codes.</summary>
internal static class Secrets
{
    /// <summary>RFC 8628 §6.1: consonants only, so no look-alike characters and no words.</summary>
    public const string UserCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ";

    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const string Lower36 = "0123456789abcdefghijklmnopqrstuvwxyz";

    public static string AccessToken() => "ays_oauth_" + RandomNumberGenerator.GetString(Base62, 32);

    public static string RefreshToken() => "ays_refresh_" + RandomNumberGenerator.GetString(Base62, 40);

    public static string DeviceCode() => RandomNumberGenerator.GetString(Base62, 43);

    public static string UserCode()
    {
        var code = RandomNumberGenerator.GetString(UserCodeAlphabet, 8);
        return string.Concat(code.AsSpan(0, 4), "-", code.AsSpan(4));
    }

    public static string Id(string prefix) => prefix + RandomNumberGenerator.GetString(Lower36, 12);

    /// <summary>Normalizes a typed user code: case, spaces and dashes do not matter (RFC 8628 §6.1).</summary>
    public static string? NormalizeUserCode(string? typed)
    {
        if (typed is null)
        {
            return null;
        }

        var letters = new string(typed.Where(char.IsLetterOrDigit).Select(char.ToUpperInvariant).ToArray());
        return letters.Length == 8 ? string.Concat(letters.AsSpan(0, 4), "-", letters.AsSpan(4)) : null;
    }
}
