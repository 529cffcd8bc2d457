namespace Anysola.Auth.IntegrationTests.Infrastructure;

/// <summary>Assertions about tokens that never put a token into the test output.</summary>
internal static class TokenAssert
{
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static void IsAccessToken(string? token) => HasShape(token, "ays_oauth_", 32, "access token");

    public static void IsRefreshToken(string? token) => HasShape(token, "ays_refresh_", 40, "refresh token");

    public static void Different(string? first, string? second, string what) =>
        Assert.False(string.Equals(first, second, StringComparison.Ordinal), $"expected a new {what}, got the same one again");

    public static void Same(string? first, string? second, string what) =>
        Assert.True(string.Equals(first, second, StringComparison.Ordinal), $"expected the same {what} (fingerprints {TokenSet.Fingerprint(first)} vs {TokenSet.Fingerprint(second)})");

    private static void HasShape(string? token, string prefix, int randomLength, string what)
    {
        Assert.True(token is not null, $"the {what} is missing");
        Assert.True(token!.StartsWith(prefix, StringComparison.Ordinal), $"the {what} does not start with {prefix}");
        var rest = token.AsSpan(prefix.Length);
        Assert.True(rest.Length == randomLength, $"the {what} has {rest.Length} characters after {prefix}, expected {randomLength}");
        Assert.True(!rest.ContainsAnyExcept(Base62), $"the {what} has characters outside base62 after {prefix}");
    }
}
