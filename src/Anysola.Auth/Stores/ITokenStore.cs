namespace Anysola.Auth;

/// <summary>
/// Where a session's tokens live between calls and between processes. Implementations must be thread-safe.
/// A store that can serialise refreshes across processes also implements <see cref="ILockingTokenStore"/>.
/// </summary>
public interface ITokenStore
{
    /// <summary>Reads the stored tokens, or <see langword="null"/> when there are none.</summary>
    ValueTask<TokenSet?> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>Replaces the stored tokens. Must be all-or-nothing: a failure leaves the previous tokens intact.</summary>
    ValueTask SaveAsync(TokenSet tokens, CancellationToken cancellationToken = default);

    /// <summary>Removes the stored tokens. Succeeds when there are none.</summary>
    ValueTask ClearAsync(CancellationToken cancellationToken = default);
}
