namespace Anysola.Auth.Tests.Stores;

/// <summary>A fact about Unix file modes or symbolic links; skipped on Windows, where the store uses ACLs.</summary>
public sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "Unix file modes and symbolic links only.";
        }
    }
}

/// <summary>A theory about Unix file modes or symbolic links; skipped on Windows.</summary>
public sealed class UnixTheoryAttribute : TheoryAttribute
{
    public UnixTheoryAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "Unix file modes and symbolic links only.";
        }
    }
}
