using System.Collections.Concurrent;
using System.Net;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Anysola.Auth.Benchmarks;

/// <summary>
/// N concurrent requests that all need a new token at once, against a token endpoint with a fixed 20 ms latency
/// that rotates refresh tokens. The fake API answers the storm's first N requests only when all N have arrived,
/// so every request of a 401 storm is sent with the rejected token before any refresh completes. Time is the wall time of one whole storm; the extra columns count the token
/// endpoint calls and the requests that did not end in 200, per storm, over every storm run (warm-ups included).
/// </summary>
[Config(typeof(StormConfig))]
[WarmupCount(1)]
[IterationCount(3)]
public class RefreshStormBenchmarks
{
    private readonly FakeTokenEndpoint _tokenEndpoint = new();
    private HttpMessageInvoker _invoker = null!;
    private int _notOk;

    [Params(1, 100, 1000)]
    public int N { get; set; }

    [IterationSetup(Target = nameof(AnysolaExpired))]
    public void SetupAnysolaExpired()
    {
        // The stored token has expired: every caller must wait for a refresh.
        _tokenEndpoint.Reset("ays_refresh_FAKE_0", accessToken: null);
        var expired = new TokenSet { AccessToken = "ays_oauth_FAKE_0", RefreshToken = "ays_refresh_FAKE_0", ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) };
        UseAnysola(new InMemoryTokenStore(expired), warm: false);
    }

    [IterationSetup(Target = nameof(AnysolaRejected))]
    public void SetupAnysolaRejected()
    {
        // The cached token looks valid for a day, but the API rejects it (revoked server-side): every caller gets a 401.
        _tokenEndpoint.Reset("ays_refresh_FAKE_0", accessToken: null);
        UseAnysola(new InMemoryTokenStore(Fixture.LongLived("ays_oauth_FAKE_0", "ays_refresh_FAKE_0")), warm: true);
    }

    [IterationSetup(Target = nameof(DuendeRejected))]
    public void SetupDuendeRejected()
    {
        // The peer has no notion of expiry until its first refresh, so its storm is the 401 storm.
        _tokenEndpoint.Reset("ays_refresh_FAKE_0", accessToken: null);
        var handler = Peer.Handler(Peer.Client(_tokenEndpoint), "ays_oauth_FAKE_0", "ays_refresh_FAKE_0", new FakeApi(_tokenEndpoint, holdFirst: N));
        Use(handler);
    }

    /// <summary>Token-endpoint calls and non-200 responses of the storm that ran last.</summary>
    internal (int Calls, int NotOk) LastStorm => (_tokenEndpoint.Calls, _notOk);

    [IterationCleanup]
    public void Cleanup()
    {
        StormStats.Record(_currentCase, _tokenEndpoint.Calls, _notOk);
        _invoker.Dispose();
    }

    [Benchmark(Description = "Anysola: expired token")]
    public Task AnysolaExpired() => StormAsync(nameof(AnysolaExpired));

    [Benchmark(Description = "Anysola: 401 on a cached token")]
    public Task AnysolaRejected() => StormAsync(nameof(AnysolaRejected));

    [Benchmark(Description = "Duende peer: 401")]
    public Task DuendeRejected() => StormAsync(nameof(DuendeRejected));

    private string _currentCase = "";

    private async Task StormAsync(string name)
    {
        _currentCase = StormStats.Key(name, N);
        var requests = new Task<HttpResponseMessage>[N];
        for (var i = 0; i < N; i++)
        {
            requests[i] = _invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, Fixture.ApiUri), CancellationToken.None);
        }

        var notOk = 0;
        foreach (var request in requests)
        {
            try
            {
                using var response = await request.ConfigureAwait(false);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    notOk++;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or AnysolaAuthException or TimeoutException)
            {
                notOk++;
            }
        }

        _notOk = notOk;
    }

    private void UseAnysola(ITokenStore store, bool warm)
    {
        var options = Fixture.Options();
        var manager = new TokenManager(new HttpClient(_tokenEndpoint), store, options);
        if (warm)
        {
            _ = manager.GetAccessTokenAsync().AsTask().GetAwaiter().GetResult();
        }

        Use(new AnysolaBearerTokenHandler(manager, options) { InnerHandler = new FakeApi(_tokenEndpoint, holdFirst: N) });
    }

    private void Use(HttpMessageHandler handler)
    {
        _invoker = new HttpMessageInvoker(handler, disposeHandler: true);
        _notOk = 0;
    }
}

/// <summary>Token-endpoint calls and failed requests per storm, kept in this process (the benchmarks run in-process).</summary>
internal static class StormStats
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<(int Calls, int NotOk)>> Storms = new();

    public static string Key(string method, object? n) => $"{method}/{n}";

    public static void Record(string key, int calls, int notOk)
    {
        if (key.Length > 0)
        {
            Storms.GetOrAdd(key, static _ => new()).Enqueue((calls, notOk));
        }
    }

    public static IReadOnlyCollection<(int Calls, int NotOk)> Get(string key) =>
        Storms.TryGetValue(key, out var storms) ? storms : [];
}

internal sealed class StormConfig : ManualConfig
{
    public StormConfig()
    {
        AddColumn(new StormColumn("Token calls/storm", static s => s.Calls), new StormColumn("Non-200/storm", static s => s.NotOk), new StormColumn("Storms", null));
    }
}

/// <summary>Shows a per-storm count as "min" or "min-max" over every storm of a case.</summary>
internal sealed class StormColumn(string name, Func<(int Calls, int NotOk), int>? select) : IColumn
{
    public string Id => "Storm." + name;
    public string ColumnName => name;
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => false;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => select is null ? "Storms run for this case (warm-up included)" : $"{name}: min-max over every storm run";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var storms = StormStats.Get(StormStats.Key(benchmarkCase.Descriptor.WorkloadMethod.Name, benchmarkCase.Parameters["N"]));
        if (storms.Count == 0)
        {
            return "?";
        }

        if (select is null)
        {
            return storms.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var min = storms.Min(select);
        var max = storms.Max(select);
        return min == max ? $"{min}" : $"{min}-{max}";
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;
}
