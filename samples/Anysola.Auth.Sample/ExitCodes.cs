namespace Anysola.Auth.Sample;

/// <summary>The process exit codes, listed in <c>anysola --help</c> and the README so scripts can rely on them.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Usage = 2;
    public const int LoginRequired = 4;
    public const int Cancelled = 130;

    public const string HelpText =
        "Exit codes: 0 ok, 1 error, 2 usage error, 4 login required (run `anysola login`), 130 cancelled (Ctrl+C).";
}

/// <summary>A failure already phrased for the person at the terminal: one sentence with the next step.</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Error) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
