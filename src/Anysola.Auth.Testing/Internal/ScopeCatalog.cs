namespace Anysola.Auth.Testing.Internal;

/// <summary>The scope table of the protocol: each scope and the lowest role that may hold it.</summary>
internal static class ScopeCatalog
{
    public const string AgentsRead = "agents:read";
    public const string AgentsWrite = "agents:write";
    public const string OperationsWrite = "operations:write";
    public const string WorkspaceRead = "workspace:read";
    public const string WorkspaceWrite = "workspace:write";
    public const string IntegrationsRead = "integrations:read";
    public const string IntegrationsWrite = "integrations:write";
    public const string AuditRead = "audit:read";

    /// <summary>Every scope, in the documented order, with its lowest role (0 viewer, 1 member, 2 admin).</summary>
    private static readonly (string Scope, int MinimumRank)[] s_table =
    [
        (AgentsRead, 0),
        (AgentsWrite, 1),
        (OperationsWrite, 1),
        (WorkspaceRead, 0),
        (WorkspaceWrite, 2),
        (IntegrationsRead, 0),
        (IntegrationsWrite, 2),
        (AuditRead, 2),
    ];

    public static bool IsKnown(string scope) => s_table.Any(entry => entry.Scope == scope);

    /// <summary>The scopes granted to <paramref name="role"/>: the requested ones it allows, or all it allows when none were requested.</summary>
    public static IReadOnlyList<string> Grant(string role, IReadOnlyList<string>? requested)
    {
        var rank = Rank(role);
        return s_table
            .Where(entry => entry.MinimumRank <= rank && (requested is null || requested.Contains(entry.Scope)))
            .Select(entry => entry.Scope)
            .ToArray();
    }

    private static int Rank(string role) => role switch
    {
        "admin" => 2,
        "member" => 1,
        _ => 0,
    };
}
