using System.Globalization;
using Xunit.Abstractions;

namespace Anysola.Auth.IntegrationTests.CrossProcess;

/// <summary>
/// A process killed with SIGKILL at random points while it rewrites the token file must leave a file that parses
/// and holds one complete token set: the last one it reported saved, or the one right after it.
/// </summary>
[Collection(CrossProcessCollection.Name)]
public sealed class CrashSafetyTests(ITestOutputHelper output)
{
    private const int Kills = 50;
    private static readonly TimeSpan LineBound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task SaveAsync_WriterKilled50TimesAtRandomPoints_FileAlwaysParsesAndHoldsOldOrNewCompleteSet()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var directory = Directory.CreateTempSubdirectory("anysola-crash-");
        try
        {
            var path = Path.Combine(directory.FullName, "credentials.json");
            long stored = 0;
            var landedAfterRename = 0;
            var killedBeforeFirstSave = 0;
            for (var kill = 1; kill <= Kills; kill++)
            {
                var start = stored + 1;
                long lastPrinted = stored;
                await using var child = ChildProcess.Start("write-loop", "--store", path, "--start", start.ToString(CultureInfo.InvariantCulture));

                // Let it complete a random number of saves (it keeps writing meanwhile), then kill it wherever it is.
                var saves = random.Next(0, 40);
                for (var i = 0; i < saves; i++)
                {
                    lastPrinted = ParseSaved(await child.ReadLineAsync(LineBound));
                }

                foreach (var line in await child.KillAsync())
                {
                    lastPrinted = ParseSaved(line);
                }

                var tokens = await new FileTokenStore(path).GetAsync();
                Assert.NotNull(tokens);
                var counter = long.Parse(tokens.AccessToken["ays_oauth_FAKE_write_".Length..], CultureInfo.InvariantCulture);
                Assert.True(
                    counter == lastPrinted || counter == lastPrinted + 1,
                    $"kill {kill}: the file holds set {counter}; the child had reported {lastPrinted} saved.");
                AssertCompleteSet(tokens, counter);

                landedAfterRename += counter == lastPrinted + 1 ? 1 : 0;
                killedBeforeFirstSave += lastPrinted < start ? 1 : 0;
                stored = counter;
            }

            var strays = Directory.GetFiles(directory.FullName, "*.tmp").Length;
            output.WriteLine($"{Kills} kills: last set {stored}; {landedAfterRename} kills landed after a rename and before its report; {killedBeforeFirstSave} before the first report; {strays} stray temporary files.");
            Assert.Equal(["credentials.json"], Directory.GetFiles(directory.FullName).Select(Path.GetFileName).Where(n => !n!.EndsWith(".tmp", StringComparison.Ordinal)));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static long ParseSaved(string line)
    {
        Assert.StartsWith("saved ", line, StringComparison.Ordinal);
        return long.Parse(line["saved ".Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>Every field derives from the same counter (see TestChild's WriteLoopTokens): no mix of two sets.</summary>
    private static void AssertCompleteSet(TokenSet tokens, long i)
    {
        Assert.Equal($"ays_oauth_FAKE_write_{i}", tokens.AccessToken);
        Assert.Equal($"ays_refresh_FAKE_write_{i}", tokens.RefreshToken);
        Assert.Equal(new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(i), tokens.ExpiresAt);
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(i), tokens.IssuedAt);
        Assert.Equal([$"scope_{i}", "agents:read"], tokens.Scopes);
    }
}
