using Microsoft.Extensions.Hosting;

namespace Anysola.Auth.Testing.Internal;

/// <summary>A host lifetime that neither listens to process signals nor writes to the console.</summary>
internal sealed class QuietHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
