using Microsoft.Extensions.Logging;

namespace Anysola.Auth.Diagnostics;

/// <summary>
/// Every log line the library writes. Parameters are counts, durations, codes and fingerprints, never a token,
/// a refresh token or a device code, at any level.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Device authorization started; the code expires in {ExpiresIn}, polling every {Interval}.")]
    public static partial void DeviceAuthorizationStarted(ILogger logger, TimeSpan expiresIn, TimeSpan interval);

    [LoggerMessage(2, LogLevel.Debug, "Authorization pending; next poll in {Delay}.")]
    public static partial void AuthorizationPending(ILogger logger, TimeSpan delay);

    [LoggerMessage(3, LogLevel.Information, "The server asked to slow down; polling every {Interval} from now on.")]
    public static partial void SlowDown(ILogger logger, TimeSpan interval);

    [LoggerMessage(4, LogLevel.Warning, "Polling failed transiently ({Error}, HTTP {StatusCode}); next poll in {Delay}.")]
    public static partial void PollTransientFailure(ILogger logger, string error, int? statusCode, TimeSpan delay);

    [LoggerMessage(5, LogLevel.Information, "Device authorization approved; access token {AccessTokenFingerprint} expires at {ExpiresAt}.")]
    public static partial void DeviceAuthorizationApproved(ILogger logger, string accessTokenFingerprint, DateTimeOffset expiresAt);

    [LoggerMessage(6, LogLevel.Warning, "Device authorization ended: {Error}.")]
    public static partial void DeviceAuthorizationFailed(ILogger logger, string error);

    [LoggerMessage(10, LogLevel.Debug, "Refreshing access token {AccessTokenFingerprint} (reason: {Reason}).")]
    public static partial void RefreshStarted(ILogger logger, string accessTokenFingerprint, string reason);

    [LoggerMessage(11, LogLevel.Information, "Refreshed the access token: {OldFingerprint} -> {NewFingerprint}, expires at {ExpiresAt}.")]
    public static partial void RefreshSucceeded(ILogger logger, string oldFingerprint, string newFingerprint, DateTimeOffset expiresAt);

    [LoggerMessage(12, LogLevel.Debug, "The store already holds a newer token {NewFingerprint}; no refresh needed.")]
    public static partial void AdoptedStoredToken(ILogger logger, string newFingerprint);

    [LoggerMessage(13, LogLevel.Warning, "Refresh failed: {Error}.")]
    public static partial void RefreshFailed(ILogger logger, string error, Exception exception);

    [LoggerMessage(14, LogLevel.Warning, "The refresh token was rejected and the store holds no other; the session has ended.")]
    public static partial void SessionEnded(ILogger logger);

    [LoggerMessage(15, LogLevel.Information, "The refresh token was rejected, but another process stored a newer one; using it.")]
    public static partial void AdoptedRotatedRefreshToken(ILogger logger);

    [LoggerMessage(16, LogLevel.Warning, "Background refresh failed ({Error}); the current token stays in use until {ExpiresAt}.")]
    public static partial void BackgroundRefreshFailed(ILogger logger, string error, DateTimeOffset expiresAt);

    [LoggerMessage(20, LogLevel.Information, "Signed out; local tokens cleared.")]
    public static partial void LoggedOut(ILogger logger);

    [LoggerMessage(21, LogLevel.Warning, "Revoking the session on the server failed ({Error}); local tokens are cleared anyway.")]
    public static partial void RevocationFailed(ILogger logger, string error, Exception exception);

    [LoggerMessage(30, LogLevel.Debug, "Retrying after a transient failure ({Error}, HTTP {StatusCode}) in {Delay}, attempt {Attempt}.")]
    public static partial void RetryingTransientFailure(ILogger logger, string error, int? statusCode, TimeSpan delay, int attempt);

    [LoggerMessage(31, LogLevel.Debug, "The server answered HTTP {StatusCode} with error code {Error}.")]
    public static partial void ServerError(ILogger logger, int statusCode, string? error);

    [LoggerMessage(40, LogLevel.Debug, "The API rejected the token {AccessTokenFingerprint} with 401; refreshing once and resending.")]
    public static partial void UnauthorizedRetry(ILogger logger, string accessTokenFingerprint);

    [LoggerMessage(41, LogLevel.Debug, "The API answered 401 but the request body cannot be replayed; returning the 401.")]
    public static partial void UnauthorizedNotReplayable(ILogger logger);

    [LoggerMessage(50, LogLevel.Debug, "Waiting for the token store lock at {LockPath}.")]
    public static partial void WaitingForStoreLock(ILogger logger, string lockPath);

    [LoggerMessage(51, LogLevel.Warning, "Tightened the permissions of {Path} to owner-only.")]
    public static partial void TightenedPermissions(ILogger logger, string path);
}
