using Microsoft.Extensions.Time.Testing;

namespace Anysola.Auth.IntegrationTests.Infrastructure;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also reports when a timer of a given length is created, so a test can move
/// the clock exactly while the client is waiting (for example between two polls) instead of guessing.
/// </summary>
internal sealed class TimerWatchingTimeProvider(FakeTimeProvider clock, TimeSpan watchedDueTime) : TimeProvider
{
    private readonly TaskCompletionSource _created = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the first timer due in exactly the watched time has been created.</summary>
    public Task TimerCreated => _created.Task;

    public override DateTimeOffset GetUtcNow() => clock.GetUtcNow();

    public override long GetTimestamp() => clock.GetTimestamp();

    public override long TimestampFrequency => clock.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => clock.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = clock.CreateTimer(callback, state, dueTime, period);
        if (dueTime == watchedDueTime)
        {
            _created.TrySetResult();
        }

        return timer;
    }
}
