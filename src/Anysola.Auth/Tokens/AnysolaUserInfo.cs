using System.Diagnostics;

namespace Anysola.Auth;

/// <summary>Who the current token belongs to: the user, the workspace it is bound to, and the role there.</summary>
[DebuggerDisplay("{Subject,nq} {Email,nq} in {WorkspaceName,nq} as {Role,nq}")]
public sealed record AnysolaUserInfo
{
    /// <summary>The user's stable identifier (<c>sub</c>).</summary>
    public required string Subject { get; init; }

    /// <summary>The user's display name, if sent.</summary>
    public string? Name { get; init; }

    /// <summary>The user's email address, if sent.</summary>
    public string? Email { get; init; }

    /// <summary>The identifier of the workspace the token is bound to, if sent.</summary>
    public string? WorkspaceId { get; init; }

    /// <summary>The name of the workspace the token is bound to, if sent.</summary>
    public string? WorkspaceName { get; init; }

    /// <summary>The user's role in the workspace (<c>viewer</c>, <c>member</c> or <c>admin</c>), if sent.</summary>
    public string? Role { get; init; }

    /// <summary>The scopes the token holds, if sent.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>The whole response as received, for the fields not modelled here.</summary>
    public required string RawJson { get; init; }
}
