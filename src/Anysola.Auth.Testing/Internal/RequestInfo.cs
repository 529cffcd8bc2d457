namespace Anysola.Auth.Testing.Internal;

/// <summary>What the journal records about a request while it is handled.</summary>
internal sealed class RequestInfo
{
    public required string Endpoint { get; init; }

    public string? GrantType { get; set; }

    public string Outcome { get; set; } = "ok";

    /// <summary>Set when the connection was dropped, so the journal records status 0.</summary>
    public bool Dropped { get; set; }

    /// <summary>
    /// Writes the journal entry (once). Called when the response starts, or just before the connection is dropped,
    /// so that a client that has seen the answer (or lost it) always finds the request in the journal.
    /// </summary>
    public Action Record { get; set; } = static () => { };
}
