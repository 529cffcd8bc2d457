namespace Anysola.Auth.Tests.Stores;

/// <summary>Tests that change process-wide environment variables run alone, never beside another test.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentVariableCollection
{
    public const string Name = "Stores.EnvironmentVariables";
}

/// <summary>FileTokenStore.DefaultDirectory / DefaultPath: ANYSOLA_CONFIG_DIR, then XDG_CONFIG_HOME, then ~/.config.</summary>
[Collection(EnvironmentVariableCollection.Name)]
public sealed class FileTokenStoreDefaultPathTests : IDisposable
{
    private const string Xdg = "XDG_CONFIG_HOME";
    private readonly string? _savedConfigDir = Environment.GetEnvironmentVariable(FileTokenStore.ConfigDirectoryVariable);
    private readonly string? _savedXdg = Environment.GetEnvironmentVariable(Xdg);

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(FileTokenStore.ConfigDirectoryVariable, _savedConfigDir);
        Environment.SetEnvironmentVariable(Xdg, _savedXdg);
    }

    [Fact]
    public void DefaultPath_AnysolaConfigDirSet_UsesItAheadOfXdg()
    {
        var configured = Path.Combine(Path.GetTempPath(), "anysola-configured");
        Environment.SetEnvironmentVariable(FileTokenStore.ConfigDirectoryVariable, configured);
        Environment.SetEnvironmentVariable(Xdg, Path.Combine(Path.GetTempPath(), "xdg"));

        Assert.Equal(configured, FileTokenStore.DefaultDirectory);
        Assert.Equal(Path.Combine(configured, "credentials.json"), FileTokenStore.DefaultPath);
        Assert.Equal(FileTokenStore.DefaultPath, new FileTokenStore(FileTokenStore.DefaultPath).Path);
    }

    [Fact]
    public void DefaultDirectory_RelativeAnysolaConfigDir_IsMadeAbsolute()
    {
        Environment.SetEnvironmentVariable(FileTokenStore.ConfigDirectoryVariable, "relative-anysola");

        Assert.Equal(Path.GetFullPath("relative-anysola"), FileTokenStore.DefaultDirectory);
        Assert.True(Path.IsPathRooted(FileTokenStore.DefaultPath));
    }

    [UnixFact]
    public void DefaultDirectory_OnlyXdgConfigHomeSet_UsesAnysolaUnderIt()
    {
        var xdg = Path.Combine(Path.GetTempPath(), "xdg-config");
        Environment.SetEnvironmentVariable(FileTokenStore.ConfigDirectoryVariable, null);
        Environment.SetEnvironmentVariable(Xdg, xdg);

        Assert.Equal(Path.Combine(xdg, "anysola"), FileTokenStore.DefaultDirectory);
        Assert.Equal(Path.Combine(xdg, "anysola", "credentials.json"), FileTokenStore.DefaultPath);
    }

    [UnixTheory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("relative/xdg")]
    public void DefaultDirectory_NoUsableVariables_UsesDotConfigInHome(string? xdg)
    {
        Environment.SetEnvironmentVariable(FileTokenStore.ConfigDirectoryVariable, "  ");
        Environment.SetEnvironmentVariable(Xdg, xdg);

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Assert.Equal(Path.Combine(home, ".config", "anysola"), FileTokenStore.DefaultDirectory);
    }
}
