using System.Globalization;
using Anysola.Auth.ReliabilityTests.Infrastructure;
using Xunit.Abstractions;

namespace Anysola.Auth.ReliabilityTests;

/// <summary>
/// TestChild's <c>write-loop</c> rewrites the token file as fast as it can; it is SIGKILLed after a random number of
/// saves, 100 times over four files at once. The file must always parse to one complete set (the last reported or
/// the one after it), stay owner-only, and no leftover temporary file may be wider than owner-only.
/// </summary>
[Collection(SerialCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CrashSafetyTests(ITestOutputHelper output)
{
    private const int Lanes = 4;
    private const int KillsPerLane = 25;
    private static readonly TimeSpan LineBound = TimeSpan.FromSeconds(60);
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public async Task SaveAsync_WriterSigkilled100TimesAtRandomPoints_NeverAHalfWrittenFile()
    {
        const int seed = 19;
        var results = await Task.WhenAll(Enumerable.Range(0, Lanes).Select(lane => RunLaneAsync(new Random(seed + lane))));
        var kills = results.Sum(r => r.Kills);
        var afterRename = results.Sum(r => r.AfterRename);
        var strays = results.Sum(r => r.Strays);
        var text = $"| SIGKILLs during `write-loop` | {kills} |\n| Files that failed to parse or held a mix of two sets | 0 |\n" +
                   $"| Kills that landed after a rename and before its report | {afterRename} |\n" +
                   $"| Leftover temporary files (all owner-only) | {strays} |\n";
        output.WriteLine(text);
        Report.Write("crash", "| Measure | Value |\n|---|---|\n" + text);
        Assert.Equal(Lanes * KillsPerLane, kills);
    }

    private static async Task<(int Kills, int AfterRename, int Strays)> RunLaneAsync(Random random)
    {
        var directory = Harness.TempDirectory("crash");
        try
        {
            var path = Path.Combine(directory.FullName, "credentials.json");
            long stored = 0;
            var afterRename = 0;
            for (var kill = 1; kill <= KillsPerLane; kill++)
            {
                long lastPrinted = stored;
                await using var child = ChildProcess.Start("write-loop", "--store", path, "--start", (stored + 1).ToString(CultureInfo.InvariantCulture));
                var saves = random.Next(0, 15);
                for (var i = 0; i < saves; i++)
                {
                    lastPrinted = ParseSaved(await child.ReadLineAsync(LineBound));
                }

                foreach (var line in await child.KillAsync())
                {
                    lastPrinted = ParseSaved(line);
                }

                if (!File.Exists(path))
                {
                    // Killed before its first save ever completed: nothing to check yet.
                    Assert.Equal(0, stored);
                    continue;
                }

                var tokens = await new FileTokenStore(path).GetAsync();
                Assert.NotNull(tokens);
                var counter = long.Parse(tokens.AccessToken["ays_oauth_FAKE_write_".Length..], CultureInfo.InvariantCulture);
                Assert.True(counter == lastPrinted || counter == lastPrinted + 1, $"The file holds set {counter}; the child had reported {lastPrinted}.");
                Assert.Equal($"ays_refresh_FAKE_write_{counter}", tokens.RefreshToken);
                Assert.Equal(new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(counter), tokens.ExpiresAt);
                Assert.Equal([$"scope_{counter}", "agents:read"], tokens.Scopes);
                if (!OperatingSystem.IsWindows())
                {
                    Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
                }

                afterRename += counter == lastPrinted + 1 ? 1 : 0;
                stored = counter;
            }

            var temps = Directory.GetFiles(directory.FullName, "*.tmp");
            if (!OperatingSystem.IsWindows())
            {
                Assert.All(temps, t => Assert.Equal(OwnerOnly, File.GetUnixFileMode(t) & ~UnixFileMode.None));
            }

            return (KillsPerLane, afterRename, temps.Length);
        }
        finally
        {
            Harness.TryDelete(directory);
        }
    }

    private static long ParseSaved(string line)
    {
        Assert.StartsWith("saved ", line, StringComparison.Ordinal);
        return long.Parse(line["saved ".Length..], CultureInfo.InvariantCulture);
    }
}
