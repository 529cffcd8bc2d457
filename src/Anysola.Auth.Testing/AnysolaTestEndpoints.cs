namespace Anysola.Auth.Testing;

/// <summary>
/// Names of the server's endpoints, as used by <see cref="AnysolaJournalEntry.Endpoint"/>,
/// <see cref="AnysolaTestServer.CountRequests"/> and <see cref="AnysolaFaultInjector.Add"/>.
/// </summary>
public static class AnysolaTestEndpoints
{
    /// <summary><c>POST /api/oauth/device</c>: start a device authorization.</summary>
    public const string Device = "device";

    /// <summary><c>POST /api/oauth/token</c>: poll a device code or refresh a token.</summary>
    public const string Token = "token";

    /// <summary><c>POST /api/oauth/revoke</c>: revoke a token (RFC 7009).</summary>
    public const string Revoke = "revoke";

    /// <summary><c>GET /api/oauth/userinfo</c>: who the token belongs to.</summary>
    public const string UserInfo = "userinfo";

    /// <summary>Every other request under <c>/api/</c>.</summary>
    public const string Api = "api";

    /// <summary>The verification page: <c>GET</c> and <c>POST</c> of <c>/device</c> (and <c>/</c>).</summary>
    public const string Page = "page";

    /// <summary>Any request the server does not serve (answered with 404). Faults cannot target it.</summary>
    public const string Other = "other";
}
