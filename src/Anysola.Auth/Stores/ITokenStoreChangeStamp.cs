namespace Anysola.Auth.Stores;

/// <summary>
/// A store that can tell cheaply whether its contents may have changed (another process logged in, out, or
/// refreshed), so <see cref="TokenManager"/> re-reads it only then.
/// </summary>
internal interface ITokenStoreChangeStamp
{
    /// <summary>A value that differs whenever the stored tokens may have changed.</summary>
    long GetChangeStamp();
}
