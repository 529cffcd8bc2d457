namespace Anysola.Auth.Testing.Internal;

// Mutable records of the server's state. They are only read or changed under ServerState's lock.

internal enum DeviceStatus
{
    Pending,
    Approved,
    Denied,
    Consumed,
}

internal sealed class DeviceAuthorization
{
    public required string DeviceCode { get; init; }
    public required string UserCode { get; init; }
    public required string CliLabel { get; init; }
    public required IReadOnlyList<string>? RequestedScopes { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public TimeSpan Interval { get; set; }
    public DateTimeOffset? LastPollAt { get; set; }
    public DeviceStatus Status { get; set; }
    public UserAccount? User { get; set; }
    public WorkspaceData? Workspace { get; set; }
    public string? Role { get; set; }
    public IReadOnlyList<string> GrantedScopes { get; set; } = [];
}

internal enum RefreshTokenState
{
    Active,
    Rotated,
    Revoked,
}

internal sealed class Session
{
    public required string Id { get; init; }
    public required UserAccount User { get; init; }
    public required WorkspaceData Workspace { get; init; }
    public required string Role { get; init; }
    public required IReadOnlyList<string> Scopes { get; init; }
    public required string CliLabel { get; init; }
    public bool Revoked { get; set; }
    public List<RefreshTokenRecord> RefreshTokens { get; } = [];
    public List<AccessTokenRecord> AccessTokens { get; } = [];
    public Queue<DateTimeOffset> RecentRuns { get; } = new();

    public string ScopeString => string.Join(' ', Scopes);

    public bool HasScope(string scope) => Scopes.Contains(scope);
}

internal sealed class RefreshTokenRecord
{
    public required string Token { get; init; }
    public required Session Session { get; init; }
    public RefreshTokenState State { get; set; }
    public DateTimeOffset? RotatedAt { get; set; }
    public bool GraceUsed { get; set; }
}

internal sealed class AccessTokenRecord
{
    public required string Token { get; init; }
    public required Session Session { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public bool Revoked { get; set; }
}

internal sealed record UserAccount(string Id, string Login, string Name, string Email, IReadOnlyDictionary<string, string> Roles);

internal sealed class Agent
{
    public required string Id { get; init; }
    public required string Name { get; set; }
    public required string Status { get; set; }
    public required DateTimeOffset CreatedAt { get; init; }
}

internal sealed class Integration
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public bool Connected { get; set; }
}

internal sealed record AuditEvent(string Id, DateTimeOffset Time, string Actor, string Action, string Target);

internal sealed class WorkspaceData
{
    public required string Id { get; init; }
    public required string Slug { get; init; }
    public required string Name { get; set; }
    public string Timezone { get; set; } = "UTC";
    public string Plan { get; init; } = "team";
    public List<Agent> Agents { get; } = [];
    public List<Integration> Integrations { get; } = [];
    public List<AuditEvent> Audit { get; } = [];
    public int OperationCount { get; set; }
}

/// <summary>The answer of the token endpoint: tokens, or an RFC 6749 error.</summary>
internal sealed record TokenResult(
    string Outcome,
    string? Error = null,
    string? ErrorDescription = null,
    string? AccessToken = null,
    string? RefreshToken = null,
    TimeSpan ExpiresIn = default,
    string? Scope = null)
{
    public static TokenResult Fail(string error, string description, string? outcome = null) =>
        new(outcome ?? error, error, description);
}
