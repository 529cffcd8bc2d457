namespace Anysola.Auth.Tests.TestInfrastructure;

/// <summary>Tests that read process-wide state (the static Meter and ActivitySource): run alone so counts are not polluted.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Anysola.Auth telemetry (not parallel)";
}

/// <summary>Tests that set environment variables such as ANYSOLA_CONFIG_DIR: run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentVariableCollection
{
    public const string Name = "Anysola.Auth environment variables (not parallel)";
}
