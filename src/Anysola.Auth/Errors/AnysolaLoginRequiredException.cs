namespace Anysola.Auth;

/// <summary>
/// There are no tokens, or the session ended (expired, revoked, or its refresh token was rejected).
/// The person must sign in again with <see cref="TokenManager.LoginAsync"/>; the library never starts a login by itself.
/// </summary>
public sealed class AnysolaLoginRequiredException : AnysolaAuthException
{
    /// <summary>Creates the exception with the default message.</summary>
    public AnysolaLoginRequiredException()
        : this("Not signed in to Anysola: log in again.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public AnysolaLoginRequiredException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates the exception with a message and the failure that ended the session.</summary>
    public AnysolaLoginRequiredException(string message, Exception? innerException)
        : base(AnysolaAuthErrors.LoginRequired, null, (innerException as AnysolaAuthException)?.StatusCode, message, innerException)
    {
    }
}
