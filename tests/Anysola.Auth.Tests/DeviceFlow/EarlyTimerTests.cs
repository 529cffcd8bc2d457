using System.Net;
using Anysola.Auth.Tests.TestInfrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Anysola.Auth.Tests.DeviceFlow;

/// <summary>Timers may fire a little early; the poll still waits the whole interval on the injected clock.</summary>
public sealed class EarlyTimerTests
{
    [Fact]
    public async Task WaitForTokensAsync_TimerFiresAMillisecondEarly_PollsOnlyOnceTheIntervalHasPassed()
    {
        var fake = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var clock = new EarlyFiringTimeProvider(fake, TimeSpan.FromMilliseconds(1));
        var polled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var http = new HttpClient(new FakeHttpMessageHandler(_ =>
        {
            polled.TrySetResult();
            return FakeHttpMessageHandler.Json(HttpStatusCode.OK, $$"""{"access_token":"{{FakeSecrets.Access(1)}}","token_type":"Bearer","expires_in":3600}""");
        }));
        var client = new DeviceAuthorizationClient(http, TestOptions.Create(), clock);
        var authorization = new DeviceAuthorization
        {
            DeviceCode = FakeSecrets.DeviceCode(1),
            UserCode = "WDJB-MJHT",
            VerificationUri = new Uri("https://anysola.test/device"),
            ExpiresAt = fake.GetUtcNow().AddMinutes(10),
            Interval = TimeSpan.FromSeconds(5),
        };

        var wait = client.WaitForTokensAsync(authorization);
        await clock.TimerCreated.Task.WaitAsync(ObservableTimeProvider.HangGuard);

        // The (early) timer fires here, a millisecond before the interval is up: the client must wait out the rest
        // (a second timer) rather than poll.
        fake.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromMilliseconds(1));
        var first = await Task.WhenAny(polled.Task, clock.SecondTimerCreated.Task).WaitAsync(ObservableTimeProvider.HangGuard);
        Assert.Same(clock.SecondTimerCreated.Task, first);
        Assert.False(polled.Task.IsCompleted);

        fake.Advance(TimeSpan.FromMilliseconds(1));
        await polled.Task.WaitAsync(ObservableTimeProvider.HangGuard);
        Assert.Equal(FakeSecrets.Access(1), (await wait.WaitAsync(ObservableTimeProvider.HangGuard)).AccessToken);
    }

    /// <summary>A clock whose timers fire <paramref name="early"/> before they are due, as coarse OS timers can.</summary>
    private sealed class EarlyFiringTimeProvider(FakeTimeProvider inner, TimeSpan early) : TimeProvider
    {
        private int _pacingTimers;

        public TaskCompletionSource TimerCreated { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource SecondTimerCreated { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

        public override long GetTimestamp() => inner.GetTimestamp();

        public override long TimestampFrequency => inner.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            // Only the pacing timers; request timeouts (TestOptions) are left exact.
            if (TestOptions.IsPacingTimer(dueTime))
            {
                (Interlocked.Increment(ref _pacingTimers) == 1 ? TimerCreated : SecondTimerCreated).TrySetResult();
                dueTime = dueTime > early ? dueTime - early : dueTime;
            }

            return inner.CreateTimer(callback, state, dueTime, period);
        }
    }
}
