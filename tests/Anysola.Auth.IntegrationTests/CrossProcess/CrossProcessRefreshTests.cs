using Anysola.Auth.Testing;
using Xunit.Abstractions;

namespace Anysola.Auth.IntegrationTests.CrossProcess;

/// <summary>Child processes run one at a time per collection: they compete for two cores with the test host.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CrossProcessCollection
{
    public const string Name = "CrossProcess";
}

/// <summary>
/// Several real processes share one FileTokenStore and refresh at the same moment against the strict-rotation
/// server: the store's file lock must let exactly one of them spend the refresh token each time.
/// </summary>
[Collection(CrossProcessCollection.Name)]
public sealed class CrossProcessRefreshTests(ITestOutputHelper output)
{
    private const int Children = 4;
    private const int Rounds = 20;
    private static readonly TimeSpan LineBound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RefreshAccessTokenAsync_FourProcessesRefreshAtOnceFor20Rounds_OneRefreshPerRoundAndNoInvalidGrant()
    {
        await using var server = await AnysolaTestServer.StartAsync(o =>
        {
            o.RefreshTokenReuseGrace = TimeSpan.Zero;
            o.AutoApproveWorkspace = "acme";
            o.PollingInterval = TimeSpan.FromMilliseconds(50);
        });
        var directory = Directory.CreateTempSubdirectory("anysola-xproc-");
        var children = new List<ChildProcess>();
        try
        {
            var storePath = Path.Combine(directory.FullName, "config", "credentials.json");
            var barrier = Directory.CreateDirectory(Path.Combine(directory.FullName, "barrier")).FullName;
            var store = new FileTokenStore(storePath);
            using var http = new HttpClient();
            var manager = new TokenManager(http, store, new AnysolaAuthOptions { BaseAddress = server.BaseAddress, CliLabel = "cross-process-test", MaxRetryAttempts = 0 });
            var initial = await manager.LoginAsync((_, _) => Task.CompletedTask).WaitAsync(LineBound);
            Assert.Equal(initial.AccessToken, (await store.GetAsync())?.AccessToken);

            for (var i = 0; i < Children; i++)
            {
                children.Add(ChildProcess.Start(
                    "refresh", "--base", server.BaseAddress.ToString(), "--store", storePath,
                    "--rounds", Rounds.ToString(System.Globalization.CultureInfo.InvariantCulture), "--barrier-dir", barrier));
            }

            foreach (var child in children)
            {
                Assert.Equal("ready", await child.ReadLineAsync(LineBound));
            }

            var previous = TokenSet.Fingerprint(initial.AccessToken);
            for (var round = 1; round <= Rounds; round++)
            {
                var before = server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token");
                await File.WriteAllBytesAsync(Path.Combine(barrier, $"go-{round}"), []);
                var lines = await Task.WhenAll(children.Select(c => c.ReadLineAsync(LineBound)));
                var refreshes = server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token") - before;

                // "round <r> ok <new> was <old>": every process ends the round on the same new token, replacing
                // the one every process started it with.
                var parsed = lines.Select(l => l.Split(' ')).ToArray();
                Assert.All(parsed, p => Assert.True(p.Length == 6 && p[1] == round.ToString(System.Globalization.CultureInfo.InvariantCulture) && p[2] == "ok", $"round {round}: {string.Join(" | ", lines)}"));
                var fresh = Assert.Single(parsed.Select(p => p[3]).Distinct());
                Assert.All(parsed, p => Assert.Equal(previous, p[5]));
                Assert.NotEqual(previous, fresh);
                Assert.Equal(fresh, TokenSet.Fingerprint((await store.GetAsync())?.AccessToken));
                Assert.True(refreshes == 1, $"round {round}: {refreshes} refresh requests");
                previous = fresh;
            }

            foreach (var child in children)
            {
                Assert.Empty(await child.WaitForExitAsync(LineBound));
                Assert.Equal(0, child.ExitCode);
            }

            Assert.Equal(Rounds, server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
            var tokenOutcomes = server.Journal.Where(e => e.Endpoint == AnysolaTestEndpoints.Token && e.GrantType == "refresh_token").Select(e => e.Outcome).ToList();
            Assert.All(tokenOutcomes, o => Assert.Equal("issued", o));

            // The session survived: the last stored refresh token is live, and one more refresh succeeds.
            var final = await store.GetAsync();
            Assert.NotNull(final?.RefreshToken);
            Assert.True(server.IsRefreshTokenActive(final.RefreshToken));
            var after = await manager.RefreshAccessTokenAsync(final.AccessToken).WaitAsync(LineBound);
            Assert.NotEqual(final.AccessToken, after);
            Assert.Equal(Rounds + 1, server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
            output.WriteLine($"{Children} processes x {Rounds} rounds: {Rounds} refresh requests, all issued.");
        }
        finally
        {
            foreach (var child in children)
            {
                await child.DisposeAsync();
            }

            directory.Delete(recursive: true);
        }
    }
}
