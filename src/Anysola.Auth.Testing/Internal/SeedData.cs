namespace Anysola.Auth.Testing.Internal;

/// <summary>The users, workspaces, agents and integrations every server starts with.</summary>
internal static class SeedData
{
    public static Dictionary<string, UserAccount> Users() => new(StringComparer.Ordinal)
    {
        ["ada"] = new("usr_ada", "ada", "Ada Lovelace", "ada@acme.test", new Dictionary<string, string> { ["acme"] = "admin", ["globex"] = "viewer" }),
        ["max"] = new("usr_max", "max", "Max Member", "max@acme.test", new Dictionary<string, string> { ["acme"] = "member" }),
        ["val"] = new("usr_val", "val", "Val Viewer", "val@acme.test", new Dictionary<string, string> { ["acme"] = "viewer" }),
    };

    public static Dictionary<string, WorkspaceData> Workspaces()
    {
        var acme = new WorkspaceData { Id = "ws_acme", Slug = "acme", Name = "Acme Corp", Timezone = "Europe/London" };
        acme.Agents.Add(Agent("agt_triage", "Support triage", "active", "2025-01-15T09:30:00Z"));
        acme.Agents.Add(Agent("agt_digest", "Weekly digest", "paused", "2025-02-03T14:00:00Z"));
        acme.Agents.Add(Agent("agt_onboarding", "Onboarding helper", "active", "2025-03-21T08:15:00Z"));
        AddIntegrations(acme, slackConnected: true);
        acme.Audit.Add(new("evt_seed1", DateTimeOffset.Parse("2025-03-21T08:15:00Z", System.Globalization.CultureInfo.InvariantCulture), "Ada Lovelace", "agent.created", "agt_onboarding"));

        var globex = new WorkspaceData { Id = "ws_globex", Slug = "globex", Name = "Globex", Timezone = "America/New_York" };
        globex.Agents.Add(Agent("agt_invoices", "Invoice checker", "active", "2025-01-20T16:45:00Z"));
        globex.Agents.Add(Agent("agt_forecast", "Sales forecast", "paused", "2025-04-02T11:00:00Z"));
        AddIntegrations(globex, slackConnected: false);

        return new(StringComparer.Ordinal) { ["acme"] = acme, ["globex"] = globex };
    }

    private static Agent Agent(string id, string name, string status, string createdAt) => new()
    {
        Id = id,
        Name = name,
        Status = status,
        CreatedAt = DateTimeOffset.Parse(createdAt, System.Globalization.CultureInfo.InvariantCulture),
    };

    private static void AddIntegrations(WorkspaceData workspace, bool slackConnected)
    {
        workspace.Integrations.Add(new Integration { Id = "slack", Name = "Slack", Connected = slackConnected });
        workspace.Integrations.Add(new Integration { Id = "github", Name = "GitHub" });
        workspace.Integrations.Add(new Integration { Id = "jira", Name = "Jira" });
    }
}
