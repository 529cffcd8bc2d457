using System.Net;

namespace Anysola.Auth;

/// <summary>
/// An authentication operation failed. <see cref="Error"/> holds the OAuth error code (such as
/// <c>access_denied</c> or <c>expired_token</c>) or one of the client-side codes in <see cref="AnysolaAuthErrors"/>.
/// Messages never contain tokens or device codes.
/// </summary>
public class AnysolaAuthException : Exception
{
    /// <summary>Creates an exception with the <see cref="AnysolaAuthErrors.Unknown"/> code.</summary>
    public AnysolaAuthException()
        : this(AnysolaAuthErrors.Unknown, null, null)
    {
    }

    /// <summary>Creates an exception with the <see cref="AnysolaAuthErrors.Unknown"/> code and a message.</summary>
    public AnysolaAuthException(string message)
        : this(AnysolaAuthErrors.Unknown, message, null)
    {
    }

    /// <summary>Creates an exception with the <see cref="AnysolaAuthErrors.Unknown"/> code, a message and a cause.</summary>
    public AnysolaAuthException(string message, Exception? innerException)
        : this(AnysolaAuthErrors.Unknown, message, null, null, innerException)
    {
    }

    /// <summary>Creates an exception for an OAuth or client-side error code.</summary>
    /// <param name="error">The error code.</param>
    /// <param name="errorDescription">The server's human-readable description, if any.</param>
    /// <param name="statusCode">The HTTP status of the response, if one was received.</param>
    /// <param name="message">The message; when <see langword="null"/> one is composed from the other values.</param>
    /// <param name="innerException">The cause.</param>
    public AnysolaAuthException(string error, string? errorDescription, HttpStatusCode? statusCode, string? message = null, Exception? innerException = null)
        : base(message ?? Compose(error, errorDescription, statusCode), innerException)
    {
        Error = string.IsNullOrEmpty(error) ? AnysolaAuthErrors.Unknown : error;
        ErrorDescription = errorDescription;
        StatusCode = statusCode;
    }

    /// <summary>The OAuth error code, e.g. <c>access_denied</c>, <c>expired_token</c>, or a code from <see cref="AnysolaAuthErrors"/>.</summary>
    public string Error { get; }

    /// <summary>The server's human-readable description of the error, if it sent one.</summary>
    public string? ErrorDescription { get; }

    /// <summary>The HTTP status code of the response that carried the error, if a response was received.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>
    /// <see langword="true"/> when the failure is temporary (a dropped connection, a timeout, a 5xx or a 429) and the
    /// same operation may succeed later.
    /// </summary>
    public bool IsTransient { get; init; }

    /// <summary>The delay the server asked for with <c>Retry-After</c>, if any.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>True when the server certainly did not act on the request, so repeating it is safe even for the refresh grant.</summary>
    internal bool RequestNotProcessed { get; init; }

    /// <summary>The polling interval a server sent along with <c>slow_down</c>, if any.</summary>
    internal TimeSpan? PollInterval { get; init; }

    private static string Compose(string error, string? description, HttpStatusCode? status)
    {
        var text = string.IsNullOrEmpty(description) ? $"Anysola authentication failed: {error}." : $"Anysola authentication failed: {error}: {description}";
        return status is { } code ? $"{text} (HTTP {(int)code})" : text;
    }
}
