namespace Anysola.Auth.IntegrationTests.Infrastructure;

/// <summary>Bounds every wait, so a broken server or client fails the test instead of hanging the run.</summary>
internal static class TestTimeouts
{
    /// <summary>Generous for a 2-core CI machine; the happy paths finish in well under a second.</summary>
    public static readonly TimeSpan Operation = TimeSpan.FromSeconds(20);

    /// <summary>A browser test's whole budget (a cold Chromium start takes a few seconds).</summary>
    public static readonly TimeSpan Browser = TimeSpan.FromSeconds(45);

    public static CancellationTokenSource Create() => new(Operation);
}
