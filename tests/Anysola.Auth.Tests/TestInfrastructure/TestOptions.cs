namespace Anysola.Auth.Tests.TestInfrastructure;

/// <summary>Options for unit tests: a fake HTTPS origin, no automatic retries, and timeouts no pacing timer can be mistaken for.</summary>
public static class TestOptions
{
    public static readonly Uri BaseAddress = new("https://anysola.test/");

    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(97);

    public static readonly TimeSpan RefreshTimeout = TimeSpan.FromSeconds(113);

    public static AnysolaAuthOptions Create(Action<AnysolaAuthOptions>? configure = null)
    {
        var options = new AnysolaAuthOptions
        {
            BaseAddress = BaseAddress,
            CliLabel = "unit-test-host",
            MaxRetryAttempts = 0,
            RequestTimeout = RequestTimeout,
            RefreshTimeout = RefreshTimeout,
        };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>Poll intervals, backoffs and retry delays; not the request or refresh timeouts.</summary>
    public static bool IsPacingTimer(TimeSpan due) =>
        due > TimeSpan.Zero && due != RequestTimeout && due != RefreshTimeout && due < TimeSpan.FromSeconds(95);
}
