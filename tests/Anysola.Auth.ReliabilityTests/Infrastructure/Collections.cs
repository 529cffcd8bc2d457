namespace Anysola.Auth.ReliabilityTests.Infrastructure;

/// <summary>Soak and crash runs measure the whole machine: they run alone, after the parallel tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial reliability runs";
}
