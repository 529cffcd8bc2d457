namespace Anysola.Auth.IntegrationTests.Infrastructure;

/// <summary>The scopes each role allows (protocol.md, "Scopes").</summary>
internal static class Scopes
{
    public static readonly string[] Viewer = ["agents:read", "workspace:read", "integrations:read"];

    public static readonly string[] Member = [.. Viewer, "agents:write", "operations:write"];

    public static readonly string[] Admin = [.. Member, "workspace:write", "integrations:write", "audit:read"];

    public static string[] Sorted(IEnumerable<string> scopes) => [.. scopes.Order(StringComparer.Ordinal)];
}
