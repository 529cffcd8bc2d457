namespace Anysola.Auth.ReliabilityTests.Infrastructure;

/// <summary>
/// The real clock, except that every timer fires at once unless its due time is one of <paramref name="kept"/>:
/// polling intervals, backoff and Retry-After waits pass instantly while the request and refresh timeouts stay real.
/// </summary>
public sealed class ShrinkingTimeProvider(params TimeSpan[] kept) : TimeProvider
{
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var keep = Array.IndexOf(kept, dueTime) >= 0 || dueTime == Timeout.InfiniteTimeSpan;
        return TimeProvider.System.CreateTimer(callback, state, keep ? dueTime : TimeSpan.Zero, period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? period : TimeSpan.FromMilliseconds(1));
    }
}
