namespace Anysola.Auth;

/// <summary>How OAuth request bodies are encoded.</summary>
public enum AnysolaRequestEncoding
{
    /// <summary><c>application/json</c>, as Anysola documents. The default.</summary>
    Json = 0,

    /// <summary><c>application/x-www-form-urlencoded</c>, as RFC 6749 and RFC 8628 specify, for standard servers.</summary>
    Form = 1,
}
