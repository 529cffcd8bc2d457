namespace Anysola.Auth;

/// <summary>
/// A token store whose lock serialises refreshes across every process that shares it. <see cref="TokenManager"/>
/// takes the lock, re-reads the store under it, and only then calls the server, so a rotated refresh token is
/// never sent twice.
/// </summary>
public interface ILockingTokenStore : ITokenStore
{
    /// <summary>
    /// Waits for the store's exclusive lock and returns a handle that releases it when disposed. The lock is held
    /// across a network refresh, so implementations should release it if the holding process dies.
    /// </summary>
    /// <exception cref="AnysolaAuthException">The lock could not be taken in time (<see cref="AnysolaAuthErrors.TokenStoreLockTimeout"/>).</exception>
    ValueTask<IAsyncDisposable> AcquireLockAsync(CancellationToken cancellationToken = default);
}
