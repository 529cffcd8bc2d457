using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Anysola.Auth.ReliabilityTests.Infrastructure;
using Anysola.Auth.Testing;
using Xunit.Abstractions;

namespace Anysola.Auth.ReliabilityTests;

/// <summary>
/// A bounded soak: several TokenManagers in this process (each with its own FileTokenStore instance on one path, so
/// they contend through the OS file lock exactly as processes do) with several threads each call the API through
/// the bearer handler, while TestChild processes force refreshes on the same file, against a server with 2-second
/// tokens, strict rotation and access tokens revoked on every refresh.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class SoakTests(ITestOutputHelper output)
{
    private const int Managers = 4;
    private const int ThreadsPerManager = 4;
    private const int Children = 2;
    private const int RequestsPerChildRound = 10000;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(25);
    private static readonly TimeSpan ChildLineBound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task BearerHandler_ProcessesAndThreadsShareOneFileUnderStrictRotation_NoFailedRequestsNoInvalidGrantNoLostSession()
    {
        await using var server = await Harness.StartServerAsync(o =>
        {
            o.AccessTokenLifetime = TimeSpan.FromSeconds(2);
            o.RevokeAccessTokenOnRefresh = true;
        });
        var directory = Harness.TempDirectory("soak");
        var barrier = Directory.CreateDirectory(Path.Combine(directory.FullName, "barrier"));
        var path = Path.Combine(directory.FullName, "credentials.json");

        // No automatic retries: every failure the handler lets through is counted.
        var options = Harness.Options(server.BaseAddress, maxRetryAttempts: 0, requestTimeout: TimeSpan.FromSeconds(30));
        var clients = new List<HttpClient>();
        var children = new List<ChildProcess>();
        try
        {
            var oauth = Harness.PlainClient();
            clients.Add(oauth);
            await Harness.LoginAsync(new TokenManager(oauth, new FileTokenStore(path), options));
            server.ClearJournal();

            long requests = 0;
            var failures = new ConcurrentQueue<string>();
            var ticks = Channel.CreateUnbounded<long>();
            using var stop = new CancellationTokenSource();

            var workers = new List<Task>();
            for (var m = 0; m < Managers; m++)
            {
                var manager = new TokenManager(oauth, new FileTokenStore(path), options);
                var api = new HttpClient(new AnysolaBearerTokenHandler(manager, options) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = server.BaseAddress };
                clients.Add(api);
                for (var t = 0; t < ThreadsPerManager; t++)
                {
                    workers.Add(Task.Run(async () =>
                    {
                        while (!stop.IsCancellationRequested)
                        {
                            try
                            {
                                using var response = await api.GetAsync(new Uri("api/agents", UriKind.Relative), CancellationToken.None);
                                if (!response.IsSuccessStatusCode)
                                {
                                    failures.Enqueue($"HTTP {(int)response.StatusCode}");
                                }
                            }
                            catch (Exception ex) when (ex is AnysolaAuthException or HttpRequestException or OperationCanceledException)
                            {
                                failures.Enqueue(ex is AnysolaAuthException auth ? "error " + auth.Error : ex.GetType().Name);
                            }

                            if (Interlocked.Increment(ref requests) % RequestsPerChildRound == 0)
                            {
                                ticks.Writer.TryWrite(requests);
                            }
                        }
                    }));
                }
            }

            for (var c = 0; c < Children; c++)
            {
                children.Add(ChildProcess.Start("refresh", "--base", server.BaseAddress.ToString(), "--store", path, "--rounds", "100000",
                    "--barrier-dir", barrier.FullName, "--max-seconds", "300"));
            }

            foreach (var child in children)
            {
                Assert.Equal("ready", await child.ReadLineAsync(ChildLineBound));
            }

            // The children force a refresh each round; a round starts once the API callers have made some progress.
            var childOk = 0;
            var childErrors = new List<string>();
            var rounds = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < Duration)
            {
                using var wait = new CancellationTokenSource(Duration - clock.Elapsed + TimeSpan.FromMilliseconds(1));
                try
                {
                    await ticks.Reader.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                rounds++;
                await File.WriteAllTextAsync(Path.Combine(barrier.FullName, "go-" + rounds.ToString(CultureInfo.InvariantCulture)), string.Empty);
                foreach (var child in children)
                {
                    var line = await child.ReadLineAsync(ChildLineBound);
                    if (line.StartsWith($"round {rounds} ok", StringComparison.Ordinal))
                    {
                        childOk++;
                    }
                    else
                    {
                        childErrors.Add(line);
                    }
                }
            }

            await stop.CancelAsync();
            await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(120));
            var elapsed = clock.Elapsed;

            // The session survived: the stored refresh token is the live one and the API still answers.
            var final = await new FileTokenStore(path).GetAsync();
            Assert.NotNull(final);
            var sessionAlive = server.IsRefreshTokenActive(final.RefreshToken!);
            using (var check = new HttpClient(new AnysolaBearerTokenHandler(new TokenManager(oauth, new FileTokenStore(path), options), options) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = server.BaseAddress })
            using (var response = await check.GetAsync(new Uri("api/agents", UriKind.Relative)))
            {
                sessionAlive &= response.IsSuccessStatusCode;
            }

            var journal = server.Journal;
            var refreshes = journal.Count(e => e.Endpoint == AnysolaTestEndpoints.Token && e.GrantType == "refresh_token" && e.Outcome == "issued");
            var invalidGrants = journal.Count(e => e.Endpoint == AnysolaTestEndpoints.Token && e.Outcome is "invalid_grant" or "reuse_detected");
            var unauthorized = journal.Count(e => e.Endpoint == AnysolaTestEndpoints.Api && e.StatusCode == 401);
            var failureKinds = failures.GroupBy(f => f).Select(g => $"{g.Key} x{g.Count()}");
            var summary =
                $"| Duration | {elapsed.TotalSeconds:F1} s |\n" +
                $"| Participants | {Managers} TokenManagers in the test process x {ThreadsPerManager} threads, plus {Children} TestChild processes (`refresh` mode), one token file |\n" +
                $"| Server | AccessTokenLifetime 2 s, RevokeAccessTokenOnRefresh, strict rotation with reuse detection |\n" +
                $"| API requests through the handler | {Interlocked.Read(ref requests)} |\n" +
                $"| 401s answered by the server (each refreshed or adopted, then resent) | {unauthorized} |\n" +
                $"| Refreshes the server performed | {refreshes} |\n" +
                $"| Forced refresh rounds by child processes | {rounds} rounds, {childOk} ok, {childErrors.Count} errors |\n" +
                $"| Failed requests | {failures.Count} |\n" +
                $"| invalid_grant / reuse detected | {invalidGrants} |\n" +
                $"| Sessions lost | {(sessionAlive ? 0 : 1)} |\n";
            output.WriteLine(summary);
            Report.Write("soak", "| Measure | Value |\n|---|---|\n" + summary);

            Assert.True(failures.IsEmpty, "Failed requests: " + string.Join(", ", failureKinds));
            Assert.True(childErrors.Count == 0, "Child rounds failed: " + string.Join(" | ", childErrors.Take(10)));
            Assert.Equal(0, invalidGrants);
            Assert.True(sessionAlive, "The session was lost.");
            Assert.True(refreshes > 5 && rounds > 0, $"Only {refreshes} refreshes: the soak did not exercise rotation.");
            Assert.True(unauthorized > 0 || rounds == 0, "No request ever met a revoked token.");
        }
        finally
        {
            foreach (var child in children)
            {
                await child.DisposeAsync();
            }

            foreach (var client in clients)
            {
                client.Dispose();
            }

            Harness.TryDelete(directory);
        }
    }
}
