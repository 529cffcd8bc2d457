namespace Anysola.Auth.ReliabilityTests.Infrastructure;

/// <summary>
/// Writes the figures of a run as markdown fragments under the test output directory
/// (<c>reliability-report/</c>), from which docs/reliability.md is assembled.
/// </summary>
public static class Report
{
    private static readonly object Gate = new();

    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "reliability-report");

    public static void Write(string name, string markdown)
    {
        lock (Gate)
        {
            System.IO.Directory.CreateDirectory(Directory);
            File.WriteAllText(Path.Combine(Directory, name + ".md"), markdown.ReplaceLineEndings("\n"));
        }
    }

    public static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
}
