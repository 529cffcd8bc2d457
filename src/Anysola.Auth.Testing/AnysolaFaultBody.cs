namespace Anysola.Auth.Testing;

/// <summary>What body an injected <see cref="AnysolaFault"/> answers with.</summary>
public enum AnysolaFaultBody
{
    /// <summary><c>{"error":"temporarily_unavailable"}</c> as <c>application/json</c>.</summary>
    Json,

    /// <summary>An HTML error page, as a proxy would send, as <c>text/html</c>.</summary>
    Html,

    /// <summary>No body at all (<c>Content-Length: 0</c>).</summary>
    Empty,

    /// <summary>A JSON document cut off in the middle, as <c>application/json</c>.</summary>
    TruncatedJson,

    /// <summary>A JSON body of about 10 MiB.</summary>
    Huge,

    /// <summary>The <see cref="Json"/> body, labelled <c>text/plain</c>.</summary>
    WrongContentType,

    /// <summary>A well-formed JSON body sent a few bytes at a time, about 100 ms apart (a couple of seconds in all).</summary>
    Trickle,
}
