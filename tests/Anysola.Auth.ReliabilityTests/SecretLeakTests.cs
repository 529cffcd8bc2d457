using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Text;
using Anysola.Auth.ReliabilityTests.Infrastructure;
using Anysola.Auth.Testing;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Anysola.Auth.ReliabilityTests;

/// <summary>
/// Runs every operation, including failing ones, with Trace logging, an ActivityListener and a MeterListener on
/// "Anysola.Auth", keeps every exception, and renders every public type; then searches all of that text for the
/// tokens and device codes the server issued (whole, and their first 16 random characters). There must be none.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class SecretLeakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task EveryOperation_TraceLogsActivitiesMetricsExceptionsAndToString_NeverContainIssuedSecrets()
    {
        var secrets = new ConcurrentDictionary<string, byte>();
        var captured = new ConcurrentQueue<string>();
        var exceptions = 0;
        using var logs = new CapturingLoggerProvider();
        using var factory = logs.CreateFactory();
        var activities = 0;
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Anysola.Auth",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                Interlocked.Increment(ref activities);
                captured.Enqueue($"{a.OperationName} {a.DisplayName} {a.Status} {a.StatusDescription}");
                captured.Enqueue(string.Join(";", a.TagObjects.Select(t => $"{t.Key}={t.Value}")));
                captured.Enqueue(string.Join(";", a.Baggage.Select(t => $"{t.Key}={t.Value}")));
                foreach (var e in a.Events)
                {
                    captured.Enqueue(e.Name + " " + string.Join(";", e.Tags.Select(t => $"{t.Key}={t.Value}")));
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var measurements = 0;
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Anysola.Auth")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            Interlocked.Increment(ref measurements);
            var text = new StringBuilder(instrument.Name).Append(' ').Append(value);
            foreach (var tag in tags)
            {
                text.Append(' ').Append(tag.Key).Append('=').Append(tag.Value);
            }

            captured.Enqueue(text.ToString());
        });
        meters.Start();

        await using var server = await Harness.StartServerAsync();
        var directory = Harness.TempDirectory("secrets");
        var rendered = new List<object>();
        try
        {
            using var http = Harness.PlainClient();
            var options = Harness.Options(server.BaseAddress);
            var path = Path.Combine(directory.FullName, "credentials.json");
            var store = new FileTokenStore(path, null, factory.CreateLogger<FileTokenStore>());
            var manager = new TokenManager(http, store, options, null, factory.CreateLogger<TokenManager>());
            var device = new DeviceAuthorizationClient(http, options, null, factory.CreateLogger<DeviceAuthorizationClient>());
            var handler = new AnysolaBearerTokenHandler(manager, options, factory.CreateLogger<AnysolaBearerTokenHandler>()) { InnerHandler = new SocketsHttpHandler() };
            using var api = new HttpClient(handler) { BaseAddress = server.BaseAddress };
            rendered.AddRange([options, store, manager, device, handler, new InMemoryTokenStore()]);

            void Secret(TokenSet? tokens)
            {
                if (tokens is not null)
                {
                    secrets[tokens.AccessToken] = 0;
                    if (tokens.RefreshToken is not null)
                    {
                        secrets[tokens.RefreshToken] = 0;
                    }

                    rendered.Add(tokens);
                }
            }

            async Task Step(Func<Task> action)
            {
                try
                {
                    await action().WaitAsync(Harness.HangBound);
                }
                catch (Exception ex) when (ex is AnysolaAuthException or HttpRequestException)
                {
                    Interlocked.Increment(ref exceptions);
                    rendered.Add(ex);
                    for (var e = ex; e is not null; e = e.InnerException)
                    {
                        captured.Enqueue(e.Message);
                        captured.Enqueue(string.Join(";", e.Data.Keys.Cast<object>().Select(k => $"{k}={e.Data[k]}")));
                    }

                    captured.Enqueue(ex.ToString());
                }

                try
                {
                    Secret(await store.GetAsync());
                }
                catch (AnysolaAuthException ex)
                {
                    captured.Enqueue(ex.ToString());
                }
            }

            // Device flow by hand, then a spent device code polled again.
            var authorization = await device.StartAsync();
            secrets[authorization.DeviceCode] = 0;
            rendered.Add(authorization);
            await Step(async () => Secret(await device.WaitForTokensAsync(authorization)));
            await Step(() => device.WaitForTokensAsync(authorization));

            // Login through the manager, then every token operation.
            await Step(() => manager.LoginAsync((a, _) =>
            {
                secrets[a.DeviceCode] = 0;
                rendered.Add(a);
                return Task.CompletedTask;
            }));
            await Step(async () => await manager.GetAccessTokenAsync());
            await Step(async () => rendered.Add(await manager.GetUserInfoAsync()));
            await Step(async () => await manager.RefreshAccessTokenAsync());
            await Step(async () => (await api.GetAsync(new Uri("api/agents", UriKind.Relative))).Dispose());

            // A refresh elsewhere revokes the handler's access token: 401, refresh, resend.
            server.Options.RevokeAccessTokenOnRefresh = true;
            await Step(async () => await new TokenManager(http, new FileTokenStore(path), options).RefreshAccessTokenAsync());
            await Step(async () => (await api.GetAsync(new Uri("api/agents", UriKind.Relative))).Dispose());

            // Failures of every kind, each leaving an exception to search.
            foreach (var fault in new[]
            {
                new AnysolaFault { StatusCode = 500 },
                new AnysolaFault { StatusCode = 502, Body = AnysolaFaultBody.Html },
                new AnysolaFault { StatusCode = 200, Body = AnysolaFaultBody.TruncatedJson },
                new AnysolaFault { DropConnection = true },
                new AnysolaFault { StatusCode = 200, Body = AnysolaFaultBody.Huge },
            })
            {
                server.Faults.Add(AnysolaTestEndpoints.Token, fault);
                await Step(async () => await manager.RefreshAccessTokenAsync());
                server.Faults.Clear();
                server.Faults.Add(AnysolaTestEndpoints.UserInfo, fault with { Times = 2 });
                await Step(() => manager.GetUserInfoAsync());
                server.Faults.Clear();
            }

            server.Faults.Add(AnysolaTestEndpoints.Token, new AnysolaFault { StatusCode = 503, Delay = TimeSpan.FromSeconds(5), Times = 2 });
            await Step(async () => await manager.RefreshAccessTokenAsync());
            server.Faults.Clear();

            // The session ends: a rejected token, then invalid_grant, then login_required.
            server.RevokeAllSessions();
            await Step(() => manager.GetUserInfoAsync());
            await Step(async () => (await api.GetAsync(new Uri("api/agents", UriKind.Relative))).Dispose());

            // Log in again and log out (revocation), then a corrupt store.
            await Step(() => manager.LoginAsync((a, _) =>
            {
                secrets[a.DeviceCode] = 0;
                return Task.CompletedTask;
            }));
            var beforeLogout = await store.GetAsync();
            Secret(beforeLogout);
            rendered.Add(new InMemoryTokenStore(beforeLogout));
            await Step(() => manager.LogoutAsync());
            await File.WriteAllTextAsync(path, "{\"version\":1,\"access_token\":" + "\"" + beforeLogout!.AccessToken + "\",\"expires_at\":\"not a date\"}");
            await Step(async () => await store.GetAsync());
            await Step(async () => await manager.GetAccessTokenAsync());
            File.Delete(path);

            rendered.Add(new AnysolaAuthException(AnysolaAuthErrors.InvalidGrant, "description", System.Net.HttpStatusCode.BadRequest));
            rendered.Add(new AnysolaLoginRequiredException());
        }
        finally
        {
            Harness.TryDelete(directory);
        }

        meters.Dispose();

        // Every public type of the library was rendered.
        var publicTypes = typeof(TokenManager).Assembly.GetExportedTypes()
            .Where(t => t is { IsInterface: false, IsEnum: false } && !(t.IsAbstract && t.IsSealed))
            .Select(t => t.FullName!).ToHashSet();
        var renderedTypes = rendered.Select(o => o.GetType().FullName!).ToHashSet();
        Assert.Empty(publicTypes.Except(renderedTypes));

        foreach (var item in rendered)
        {
            captured.Enqueue(item.ToString() ?? string.Empty);
            if (item.GetType().GetCustomAttribute<DebuggerDisplayAttribute>() is not null)
            {
                captured.Enqueue(item.ToString() ?? string.Empty);
            }
        }

        var text = logs.AllText().Concat(captured).ToList();
        var needles = secrets.Keys.SelectMany(Needles).Distinct(StringComparer.Ordinal).ToList();
        var hits = needles.Count(n => text.Any(t => t.Contains(n, StringComparison.Ordinal)));

        var summary =
            $"| Secrets issued by the server and searched for (whole and first 16 random characters) | {secrets.Count} |\n" +
            $"| Log records at Trace (with structured values, scopes and exceptions) | {logs.Count} text items |\n" +
            $"| Activities from \"Anysola.Auth\" (names, tags, events, status) | {activities} |\n" +
            $"| Metric measurements (with tags) | {measurements} |\n" +
            $"| Exceptions captured (message, ToString, inner chain, Data) | {exceptions} |\n" +
            $"| Objects rendered with ToString (all {publicTypes.Count} public non-static types) | {rendered.Count} |\n" +
            $"| Hits | {hits} |\n";
        output.WriteLine(summary);
        Report.Write("secrets", "| Measure | Value |\n|---|---|\n" + summary);

        Assert.True(secrets.Count >= 8, $"Only {secrets.Count} secrets were issued; the run did not exercise enough.");
        Assert.True(exceptions >= 8, $"Only {exceptions} exceptions were captured.");
        Assert.True(hits == 0, $"{hits} secret values appear in captured output.");
    }

    private static IEnumerable<string> Needles(string secret)
    {
        yield return secret;
        var random = secret.StartsWith("ays_oauth_", StringComparison.Ordinal) ? secret["ays_oauth_".Length..]
            : secret.StartsWith("ays_refresh_", StringComparison.Ordinal) ? secret["ays_refresh_".Length..]
            : secret;
        if (random.Length >= 16)
        {
            yield return random[..16];
        }
    }
}
