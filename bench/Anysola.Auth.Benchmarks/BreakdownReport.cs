using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Anysola.Auth.Benchmarks;

/// <summary>
/// <c>--breakdown</c>: the hot path taken apart. For each pipeline and for each piece a request is made of: exact
/// bytes allocated per call (this thread's allocation counter over a million calls) and the best time per call
/// over interleaved rounds (the minimum resists noise from other processes better than the mean).
/// </summary>
internal static class BreakdownReport
{
    private const int Calls = 1_000_000;
    private const int Rounds = 25;
    private const int CallsPerRound = 100_000;

    public static int Run()
    {
        var hot = new HotPathBenchmarks();
        hot.Setup();
        var options = Fixture.Options();
        var manager = new TokenManager(new HttpClient(new FakeTokenEndpoint()), new InMemoryTokenStore(Fixture.LongLived()), options);
        _ = manager.GetAccessTokenAsync().AsTask().GetAwaiter().GetResult();
        var sharedUri = Fixture.ApiUri;
        var withHeaders = new HttpRequestMessage(HttpMethod.Get, sharedUri);
        _ = withHeaders.Headers;
        var completed = Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        var origin = Fixture.BaseAddress;

        var rows = new List<(string What, Func<object?> Action, Func<object?>? Subtract)>();
        void Row(string what, Func<object?> action, Func<object?>? subtract = null) => rows.Add((what, action, subtract));
        Row("pipeline: no-op DelegatingHandler (floor)", () => hot.NoOp());
        Row("pipeline: constant bearer header (reference)", () => hot.StaticHeader());
        Row("pipeline: AnysolaBearerTokenHandler", () => hot.Anysola());
        Row("pipeline: Duende RefreshTokenDelegatingHandler", () => hot.Duende());
        using var prototype = new HttpMessageInvoker(new FastPathPrototypeHandler(manager, Fixture.BaseAddress, new StaticOkHandler()), disposeHandler: false);
        Row("pipeline: a synchronous fast-path variant (benchmark code, not the library)", () => prototype.SendAsync(new HttpRequestMessage(HttpMethod.Get, sharedUri), CancellationToken.None).Result);
        // Each row returns what it built, so the JIT cannot place it on the stack and hide its allocation.
        Row("new HttpRequestMessage(GET, uri)", () => new HttpRequestMessage(HttpMethod.Get, sharedUri));
        Row("... and read request.Headers (creates HttpRequestHeaders)", () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, sharedUri);
            _ = request.Headers;
            return request;
        });
        Row("... and set Headers.Authorization", () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, sharedUri);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Fixture.HotAccessToken);
            return request;
        });
        Row("new AuthenticationHeaderValue(\"Bearer\", token)", () => new AuthenticationHeaderValue("Bearer", Fixture.HotAccessToken));
        Row("set Authorization on a request whose headers exist", () => withHeaders.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Fixture.HotAccessToken));
        Row("TokenManager.GetAccessTokenAsync, cached token (ValueTask)", () => manager.GetAccessTokenAsync().Result);
        Row("TimeProvider.System.GetUtcNow()", () => TimeProvider.System.GetUtcNow() > DateTimeOffset.MinValue ? sharedUri : null);
        Row("same-origin check with case-insensitive comparisons, reused Uri", () => SameOrigin(sharedUri, origin) ? sharedUri : null);
        Row("the same check with ordinal comparisons, as AnysolaSettings.IsSameOrigin", () => SameOriginOrdinal(sharedUri, origin) ? sharedUri : null);
        Row("Uri.IdnHost on a new Uri per call (minus the Uri itself)", () => new Uri("https://anysola.example/api/agents").IdnHost, () => new Uri("https://anysola.example/api/agents"));
        Row("an async Task<HttpResponseMessage> method that completes synchronously", () => CompletesSynchronouslyAsync(completed).Result);

        // Rounds go round-robin over every row, so a busy moment on the machine hits all rows alike; the best round counts.
        static object? Empty() => null;
        var best = new double[rows.Count];
        Array.Fill(best, double.MaxValue);
        var bestEmpty = double.MaxValue;
        for (var round = 0; round < Rounds; round++)
        {
            bestEmpty = Math.Min(bestEmpty, Time(Empty));
            for (var i = 0; i < rows.Count; i++)
            {
                var ns = Time(rows[i].Action) - (rows[i].Subtract is { } subtract ? Time(subtract) : 0);
                best[i] = Math.Min(best[i], ns);
            }
        }

        Console.WriteLine($"Best of {Rounds} interleaved rounds of {CallsPerRound} calls; the cost of the delegate call itself is subtracted.");
        Console.WriteLine();
        Console.WriteLine("| What one call does | Bytes per call | Best ns per call |");
        Console.WriteLine("|---|---:|---:|");
        for (var i = 0; i < rows.Count; i++)
        {
            var bytes = Bytes(rows[i].Action) - (rows[i].Subtract is { } subtract ? Bytes(subtract) : 0);
            var ns = best[i] - (rows[i].Subtract is null ? bestEmpty : 0);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {rows[i].What} | {bytes:F0} | {ns:F1} |"));
        }

        return 0;
    }

    private static bool SameOrigin(Uri uri, Uri origin) =>
        uri is { IsAbsoluteUri: true }
        && uri.Port == origin.Port
        && string.Equals(uri.Scheme, origin.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(uri.IdnHost, origin.IdnHost, StringComparison.OrdinalIgnoreCase);

    private static bool SameOriginOrdinal(Uri uri, Uri origin) =>
        uri is { IsAbsoluteUri: true }
        && uri.Port == origin.Port
        && string.Equals(uri.Scheme, origin.Scheme, StringComparison.Ordinal)
        && string.Equals(uri.IdnHost, origin.IdnHost, StringComparison.Ordinal);

    private static async Task<HttpResponseMessage> CompletesSynchronouslyAsync(Task<HttpResponseMessage> inner) => await inner.ConfigureAwait(false);

    private static double Bytes(Func<object?> action)
    {
        for (var i = 0; i < 10_000; i++)
        {
            GC.KeepAlive(action());
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++)
        {
            GC.KeepAlive(action());
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Calls;
    }

    private static double Time(Func<object?> action)
    {
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < CallsPerRound; i++)
        {
            GC.KeepAlive(action());
        }

        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / CallsPerRound;
    }
}
