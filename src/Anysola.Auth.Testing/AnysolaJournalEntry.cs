namespace Anysola.Auth.Testing;

/// <summary>One request the server received, as recorded in <see cref="AnysolaTestServer.Journal"/>.</summary>
/// <param name="Time">When the request arrived, by the server's <see cref="AnysolaTestServerOptions.TimeProvider"/>.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The request path, without the query string.</param>
/// <param name="Endpoint">Which endpoint it hit: one of <see cref="AnysolaTestEndpoints"/>.</param>
/// <param name="GrantType">The <c>grant_type</c> of a token request, as sent; otherwise <see langword="null"/>.</param>
/// <param name="ContentType">The request's <c>Content-Type</c> header, if any.</param>
/// <param name="StatusCode">The status code answered; 0 when the connection was dropped without an answer.</param>
/// <param name="Outcome">
/// What the server did: for example <c>issued</c>, <c>authorization_pending</c>, <c>slow_down</c>,
/// <c>access_denied</c>, <c>expired_token</c>, <c>invalid_grant</c>, <c>reuse_detected</c>, <c>revoked</c>, <c>ok</c>,
/// <c>rate_limited</c>, <c>insufficient_scope</c>, <c>invalid_token</c>; for an injected fault <c>fault:&lt;kind&gt;</c>
/// (kind <c>drop</c>, <c>json</c>, <c>html</c>, <c>empty</c>, <c>truncatedjson</c>, <c>huge</c>,
/// <c>wrongcontenttype</c> or <c>trickle</c>), and for a passthrough fault <c>fault:&lt;kind&gt;:&lt;outcome of the
/// request it handled&gt;</c>.
/// </param>
public sealed record AnysolaJournalEntry(
    DateTimeOffset Time,
    string Method,
    string Path,
    string Endpoint,
    string? GrantType,
    string? ContentType,
    int StatusCode,
    string Outcome);
