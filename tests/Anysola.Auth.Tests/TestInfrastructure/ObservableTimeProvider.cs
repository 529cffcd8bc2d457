using Microsoft.Extensions.Time.Testing;

namespace Anysola.Auth.Tests.TestInfrastructure;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also reports every timer armed on it, so a test can wait until the code
/// under test is actually waiting (a poll interval, a retry delay) before advancing the clock, instead of guessing.
/// </summary>
public sealed class ObservableTimeProvider : TimeProvider
{
    public static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A wall-clock bound on every wait, so a broken test fails instead of hanging.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private readonly object _gate = new();
    private readonly List<TimeSpan> _unclaimed = [];
    private readonly List<Waiter> _waiters = [];

    public FakeTimeProvider Fake { get; } = new(Start);

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    public void Advance(TimeSpan delta) => Fake.Advance(delta);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ObservedTimer(this, Fake.CreateTimer(callback, state, dueTime, period));
        Armed(dueTime);
        return timer;
    }

    /// <summary>Completes with the due time of the next armed timer that matches (one not yet claimed by an earlier wait).</summary>
    public Task<TimeSpan> WaitForTimerAsync(Func<TimeSpan, bool> match, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var index = _unclaimed.FindIndex(d => match(d));
            if (index >= 0)
            {
                var due = _unclaimed[index];
                _unclaimed.RemoveAt(index);
                return Task.FromResult(due);
            }

            var waiter = new Waiter(match, new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously));
            _waiters.Add(waiter);
            if (cancellationToken.CanBeCanceled)
            {
                cancellationToken.Register(() =>
                {
                    lock (_gate)
                    {
                        _waiters.Remove(waiter);
                    }

                    waiter.Completion.TrySetCanceled(cancellationToken);
                });
            }

            return waiter.Completion.Task.WaitAsync(HangGuard);
        }
    }

    /// <summary>The next pacing timer: a poll interval, a backoff or a retry delay (not a request or refresh timeout).</summary>
    public Task<TimeSpan> WaitForPacingTimerAsync() => WaitForTimerAsync(TestOptions.IsPacingTimer);

    /// <summary>Advances the clock through every pacing timer until <paramref name="operation"/> completes.</summary>
    public async Task<T> RunAsync<T>(Task<T> operation)
    {
        await RunAsync((Task)operation);
        return await operation;
    }

    /// <inheritdoc cref="RunAsync{T}(Task{T})"/>
    public async Task RunAsync(Task operation)
    {
        for (var step = 0; step < 10_000 && !operation.IsCompleted; step++)
        {
            using var stop = new CancellationTokenSource();
            var next = WaitForTimerAsync(TestOptions.IsPacingTimer, stop.Token);
            var first = await Task.WhenAny(operation, next).WaitAsync(HangGuard);
            if (first == next && next.IsCompletedSuccessfully)
            {
                Advance(next.Result);
            }
            else
            {
                await stop.CancelAsync();
            }
        }

        await operation.WaitAsync(HangGuard);
    }

    private void Armed(TimeSpan due)
    {
        if (due == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        Waiter? matched;
        lock (_gate)
        {
            matched = _waiters.FirstOrDefault(w => w.Match(due));
            if (matched is null)
            {
                _unclaimed.Add(due);
            }
            else
            {
                _waiters.Remove(matched);
            }
        }

        matched?.Completion.TrySetResult(due);
    }

    private sealed record Waiter(Func<TimeSpan, bool> Match, TaskCompletionSource<TimeSpan> Completion);

    private sealed class ObservedTimer(ObservableTimeProvider owner, ITimer inner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var changed = inner.Change(dueTime, period);
            owner.Armed(dueTime);
            return changed;
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
