using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Anysola.Auth.Tests.TestInfrastructure;

namespace Anysola.Auth.Tests.Diagnostics;

/// <summary>
/// The "Anysola.Auth" meter and activity source report a session, with no token in any tag. The meter is static and
/// shared, so these tests run in a non-parallel collection and assert lower bounds.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests
{
    [Fact]
    public async Task FullSession_EmitsCountersWithoutSecrets()
    {
        var measurements = new ConcurrentQueue<(string Name, long Value, KeyValuePair<string, object?>[] Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Anysola.Auth")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        listener.Start();

        await new FullSessionScenario().RunAsync();
        listener.Dispose();

        long Sum(string name, string? outcome = null) => measurements
            .Where(m => m.Name == name && (outcome is null || m.Tags.Any(t => t.Key == "outcome" && Equals(t.Value, outcome))))
            .Sum(m => m.Value);

        Assert.True(Sum("anysola.auth.refreshes") >= 4, "refreshes"); // one failed, three succeeded
        Assert.True(Sum("anysola.auth.refresh_failures") >= 1, "refresh_failures");
        Assert.True(Sum("anysola.auth.device_flow.polls") >= 4, "device_flow.polls");
        Assert.True(Sum("anysola.auth.device_flow.polls", "authorization_pending") >= 1, "polls pending");
        Assert.True(Sum("anysola.auth.device_flow.polls", "slow_down") >= 1, "polls slow_down");
        Assert.True(Sum("anysola.auth.device_flow.polls", "approved") >= 1, "polls approved");
        Assert.True(Sum("anysola.auth.device_flow.polls", "access_denied") >= 1, "polls denied");
        Assert.True(Sum("anysola.auth.unauthorized_retries", "resent") >= 1, "unauthorized_retries");
        foreach (var (_, _, tags) in measurements)
        {
            AssertNoSecret(tags.Select(t => $"{t.Key}={t.Value}"));
        }
    }

    [Fact]
    public async Task FullSession_EmitsActivitiesWithoutSecrets()
    {
        var activities = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Anysola.Auth",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        await new FullSessionScenario().RunAsync();

        var names = activities.Select(a => a.OperationName).ToHashSet();
        Assert.Contains("Anysola.Auth.DeviceAuthorization", names);
        Assert.Contains("Anysola.Auth.AcquireToken", names);
        Assert.Contains("Anysola.Auth.Logout", names);
        Assert.Contains(activities, a => a.OperationName == "Anysola.Auth.DeviceAuthorization" && a.Status == ActivityStatusCode.Error && a.StatusDescription == "access_denied");
        Assert.Contains(activities, a => a.OperationName == "Anysola.Auth.AcquireToken" && a.Status == ActivityStatusCode.Error);
        foreach (var activity in activities)
        {
            AssertNoSecret(activity.TagObjects.Select(t => $"{t.Key}={t.Value}")
                .Concat(activity.Baggage.Select(b => $"{b.Key}={b.Value}"))
                .Concat(activity.Events.Select(e => e.Name))
                .Append(activity.DisplayName)
                .Append(activity.StatusDescription ?? string.Empty));
        }
    }

    private static void AssertNoSecret(IEnumerable<string> texts)
    {
        var all = texts.ToList();
        foreach (var secret in FakeSecrets.All())
        {
            Assert.DoesNotContain(all, text => text.Contains(secret, StringComparison.Ordinal));
        }
    }
}
