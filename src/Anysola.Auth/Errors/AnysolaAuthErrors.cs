namespace Anysola.Auth;

/// <summary>The error codes found in <see cref="AnysolaAuthException.Error"/>: the OAuth ones Anysola sends, and the client's own.</summary>
public static class AnysolaAuthErrors
{
    /// <summary>RFC 8628: the person has not yet approved the request. Handled while polling; never surfaced.</summary>
    public const string AuthorizationPending = "authorization_pending";

    /// <summary>RFC 8628: poll more slowly. Handled while polling; never surfaced.</summary>
    public const string SlowDown = "slow_down";

    /// <summary>RFC 8628: the person denied the request.</summary>
    public const string AccessDenied = "access_denied";

    /// <summary>RFC 8628: the device code expired before the person approved it.</summary>
    public const string ExpiredToken = "expired_token";

    /// <summary>RFC 6749: the refresh token or device code is invalid, expired, revoked or already used.</summary>
    public const string InvalidGrant = "invalid_grant";

    /// <summary>RFC 6750: the access token was rejected.</summary>
    public const string InvalidToken = "invalid_token";

    /// <summary>No tokens, or the session ended: log in again (<see cref="AnysolaLoginRequiredException"/>).</summary>
    public const string LoginRequired = "login_required";

    /// <summary>The server's response could not be understood: not JSON, truncated, too large, or missing required fields.</summary>
    public const string InvalidResponse = "invalid_response";

    /// <summary>The server answered with an HTTP error and no OAuth error body (for example a proxy's 502 page).</summary>
    public const string ServerError = "server_error";

    /// <summary>The server could not be reached, or the connection dropped.</summary>
    public const string NetworkError = "network_error";

    /// <summary>A request or a refresh took longer than its configured timeout.</summary>
    public const string RequestTimeout = "request_timeout";

    /// <summary>The token store could not be read or written: a corrupt, insecure or inaccessible file.</summary>
    public const string TokenStoreError = "token_store_error";

    /// <summary>The token store's cross-process lock could not be taken in time.</summary>
    public const string TokenStoreLockTimeout = "token_store_lock_timeout";

    /// <summary>An error the server did not name.</summary>
    public const string Unknown = "unknown_error";
}
