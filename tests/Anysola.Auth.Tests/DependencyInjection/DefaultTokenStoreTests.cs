using Anysola.Auth.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Anysola.Auth.Tests.DependencyInjection;

/// <summary>Without an app store, the registration uses a FileTokenStore at $ANYSOLA_CONFIG_DIR/credentials.json.</summary>
[Collection(EnvironmentVariableCollection.Name)]
public sealed class DefaultTokenStoreTests
{
    [Fact]
    public void AddAnysolaAuth_NoStoreRegistered_UsesFileTokenStoreInTheConfigDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "anysola-unit-" + Guid.NewGuid().ToString("N"));
        var previous = Environment.GetEnvironmentVariable(FileTokenStore.ConfigDirectoryVariable);
        Environment.SetEnvironmentVariable(FileTokenStore.ConfigDirectoryVariable, directory);
        try
        {
            using var provider = new ServiceCollection().AddAnysolaAuth().BuildServiceProvider();

            var store = Assert.IsType<FileTokenStore>(provider.GetRequiredService<ITokenStore>());
            Assert.Equal(Path.Combine(directory, "credentials.json"), store.Path);
            Assert.Same(store, provider.GetRequiredService<TokenManager>().Store);
        }
        finally
        {
            Environment.SetEnvironmentVariable(FileTokenStore.ConfigDirectoryVariable, previous);
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
