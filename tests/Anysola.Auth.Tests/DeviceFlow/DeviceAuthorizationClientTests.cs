using System.Collections.Concurrent;
using System.Net;
using Anysola.Auth.Tests.TestInfrastructure;

namespace Anysola.Auth.Tests.DeviceFlow;

/// <summary>Polling (RFC 8628 §3.4–3.5): pacing on the injected clock, slow_down, the deadline, errors, transient faults, cancellation.</summary>
public sealed class DeviceAuthorizationClientTests
{
    private static readonly TimeSpan OneMs = TimeSpan.FromMilliseconds(1);
    private readonly ObservableTimeProvider _time = new();
    private readonly ConcurrentQueue<Func<HttpResponseMessage>> _script = new();
    private readonly List<TimeSpan> _pollTimes = [];
    private readonly ScriptedHandler _handler;

    public DeviceAuthorizationClientTests()
    {
        _handler = new ScriptedHandler(_ =>
        {
            lock (_pollTimes)
            {
                _pollTimes.Add(_time.GetUtcNow() - ObservableTimeProvider.Start);
            }

            return _script.TryDequeue(out var next) ? next() : OAuthResponses.Pending();
        });
    }

    [Fact]
    public async Task WaitForTokensAsync_FirstPoll_WaitsTheIntervalBeforeSending()
    {
        Script(() => OAuthResponses.Tokens(FakeSecrets.Access(1), FakeSecrets.Refresh(1)));

        var task = CreateClient().WaitForTokensAsync(Authorization(TimeSpan.FromSeconds(5)));

        Assert.Equal(TimeSpan.FromSeconds(5), await _time.WaitForPacingTimerAsync());
        _time.Advance(TimeSpan.FromSeconds(5) - OneMs);
        Assert.Empty(_handler.Requests);
        Assert.False(task.IsCompleted);

        _time.Advance(OneMs);
        var tokens = await task.WaitAsync(ObservableTimeProvider.HangGuard);
        Assert.Equal(FakeSecrets.Access(1), tokens.AccessToken);
        Assert.Equal([TimeSpan.FromSeconds(5)], _pollTimes);
    }

    [Fact]
    public async Task WaitForTokensAsync_AuthorizationPending_WaitsTheIntervalBeforeEveryPoll()
    {
        Script(OAuthResponses.Pending, OAuthResponses.Pending, () => OAuthResponses.Tokens(FakeSecrets.Access(1), FakeSecrets.Refresh(1)));

        var task = CreateClient().WaitForTokensAsync(Authorization(TimeSpan.FromSeconds(7)));

        Assert.Equal(TimeSpan.FromSeconds(7), await StepAsync(1));
        Assert.Equal(TimeSpan.FromSeconds(7), await StepAsync(2));
        Assert.Equal(TimeSpan.FromSeconds(7), await StepAsync(3));
        await task.WaitAsync(ObservableTimeProvider.HangGuard);
        Assert.Equal([TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(14), TimeSpan.FromSeconds(21)], _pollTimes);
    }

    [Theory]
    [InlineData(null, 10)] // interval + 5 s
    [InlineData(7, 10)] // a smaller server interval does not undo the 5 s
    [InlineData(20, 20)] // a larger server interval is adopted
    public async Task WaitForTokensAsync_SlowDown_SlowsEveryLaterPoll(int? serverInterval, int expectedSeconds)
    {
        Script(
            () => OAuthResponses.Error(HttpStatusCode.BadRequest, "slow_down", interval: serverInterval),
            OAuthResponses.Pending,
            OAuthResponses.Pending,
            () => OAuthResponses.Tokens(FakeSecrets.Access(1), FakeSecrets.Refresh(1)));

        var task = CreateClient().WaitForTokensAsync(Authorization(TimeSpan.FromSeconds(5)));

        Assert.Equal(TimeSpan.FromSeconds(5), await StepAsync(1));
        var expected = TimeSpan.FromSeconds(expectedSeconds);
        Assert.Equal(expected, await StepAsync(2));
        Assert.Equal(expected, await StepAsync(3)); // still slowed after a plain authorization_pending
        Assert.Equal(expected, await StepAsync(4));
        await task.WaitAsync(ObservableTimeProvider.HangGuard);
    }

    [Fact]
    public async Task WaitForTokensAsync_RepeatedSlowDown_AddsFiveSecondsEachTime()
    {
        Script(
            () => OAuthResponses.Error(HttpStatusCode.BadRequest, "slow_down"),
            () => OAuthResponses.Error(HttpStatusCode.BadRequest, "slow_down"),
            () => OAuthResponses.Tokens(FakeSecrets.Access(1), FakeSecrets.Refresh(1)));

        var task = CreateClient().WaitForTokensAsync(Authorization(TimeSpan.FromSeconds(5)));

        Assert.Equal(TimeSpan.FromSeconds(5), await StepAsync(1));
        Assert.Equal(TimeSpan.FromSeconds(10), await StepAsync(2));
        Assert.Equal(TimeSpan.FromSeconds(15), await StepAsync(3));
        await task.WaitAsync(ObservableTimeProvider.HangGuard);
    }

    [Fact]
    public async Task WaitForTokensAsync_DeadlineReached_StopsPollingWithExpiredToken()
    {
        var authorization = Authorization(TimeSpan.FromSeconds(5), lifetime: TimeSpan.FromSeconds(12));
        var task = CreateClient().WaitForTokensAsync(authorization);

        await StepAsync(1);
        await StepAsync(2);

        var error = await Assert.ThrowsAsync<AnysolaAuthException>(() => task.WaitAsync(ObservableTimeProvider.HangGuard));
        Assert.Equal(AnysolaAuthErrors.ExpiredToken, error.Error);
        Assert.Equal(2, _handler.Requests.Count);
        Assert.All(_pollTimes, t => Assert.True(ObservableTimeProvider.Start + t < authorization.ExpiresAt));
    }

    [Fact]
    public async Task WaitForTokensAsync_SlowDownPastTheDeadline_DoesNotPollAgain()
    {
        Script(() => OAuthResponses.Error(HttpStatusCode.BadRequest, "slow_down"));
        var task = CreateClient().WaitForTokensAsync(Authorization(TimeSpan.FromSeconds(5), lifetime: TimeSpan.FromSeconds(14)));

        await StepAsync(1);

        var error = await Assert.ThrowsAsync<AnysolaAuthException>(() => task.WaitAsync(ObservableTimeProvider.HangGuard));
        Assert.Equal(AnysolaAuthErrors.ExpiredToken, error.Error);
        Assert.Single(_handler.Requests);
    }

    [Theory]
    [InlineData("access_denied", HttpStatusCode.BadRequest)]
    [InlineData("expired_token", HttpStatusCode.BadRequest)]
    [InlineData("invalid_client", HttpStatusCode.Unauthorized)]
    [InlineData("something_new_the_server_invented", HttpStatusCode.BadRequest)]
    public async Task WaitForTokensAsync_TerminalError_EndsWithThatCode(string code, HttpStatusCode status)
    {
        Script(OAuthResponses.Pending, () => OAuthResponses.Error(status, code, "The request was refused."));

        var task = CreateClient().WaitForTokensAsync(Authorization(TimeSpan.FromSeconds(5)));
        await StepAsync(1);
        await StepAsync(2);

        var error = await Assert.ThrowsAsync<AnysolaAuthException>(() => task.WaitAsync(ObservableTimeProvider.HangGuard));
        Assert.Equal(code, error.Error);
        Assert.Equal(status, error.StatusCode);
        Assert.Equal(2, _handler.Requests.Count);
    }

    [Theory]
    [InlineData("503", 10)] // backoff doubles the interval
    [InlineData("429 Retry-After 30", 30)] // Retry-After is longer than the backoff: honoured
    [InlineData("dropped connection", 10)]
    [InlineData("502 html", 10)]
    public async Task WaitForTokensAsync_TransientFailure_KeepsPollingAndSucceeds(string failure, int expectedWaitSeconds)
    {
        Script(TransientFailure(failure), () => OAuthResponses.Tokens(FakeSecrets.Access(1), FakeSecrets.Refresh(1)));

        var task = CreateClient().WaitForTokensAsync(Authorization(TimeSpan.FromSeconds(5)));
        await StepAsync(1);
        Assert.Equal(TimeSpan.FromSeconds(expectedWaitSeconds), await StepAsync(2));

        var tokens = await task.WaitAsync(ObservableTimeProvider.HangGuard);
        Assert.Equal(FakeSecrets.Access(1), tokens.AccessToken);
    }

    [Fact]
    public async Task WaitForTokensAsync_ManyTransientFailures_DoNotEndTheLogin()
    {
        Script(
            TransientFailure("503"),
            TransientFailure("429 Retry-After 30"),
            TransientFailure("dropped connection"),
            TransientFailure("502 html"),
            OAuthResponses.Pending,
            () => OAuthResponses.Tokens(FakeSecrets.Access(1), FakeSecrets.Refresh(1)));

        var tokens = await _time.RunAsync(CreateClient().WaitForTokensAsync(Authorization(TimeSpan.FromSeconds(5))));

        Assert.Equal(FakeSecrets.Access(1), tokens.AccessToken);
        Assert.Equal(6, _handler.Requests.Count);
        for (var i = 1; i < _pollTimes.Count; i++)
        {
            Assert.True(_pollTimes[i] - _pollTimes[i - 1] >= TimeSpan.FromSeconds(5), $"poll {i} came too soon");
        }
    }

    [Fact]
    public async Task WaitForTokensAsync_CancelledDuringWait_ThrowsOperationCanceledAtOnce()
    {
        using var cancel = new CancellationTokenSource();
        var task = CreateClient().WaitForTokensAsync(Authorization(TimeSpan.FromSeconds(5)), cancel.Token);
        await _time.WaitForPacingTimerAsync();

        await cancel.CancelAsync();

        var error = await Record.ExceptionAsync(() => task.WaitAsync(ObservableTimeProvider.HangGuard));
        Assert.IsAssignableFrom<OperationCanceledException>(error);
        Assert.Empty(_handler.Requests);
    }

    [Fact]
    public async Task WaitForTokensAsync_CancelledDuringRequest_ThrowsOperationCanceledAtOnce()
    {
        var inFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var serverAnswers = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new ScriptedHandler(async (_, cancellationToken) =>
        {
            inFlight.TrySetResult();
            return await serverAnswers.Task.WaitAsync(cancellationToken); // a server that never answers
        });
        using var cancel = new CancellationTokenSource();
        var client = new DeviceAuthorizationClient(new HttpClient(handler), TestOptions.Create(), _time);
        var task = client.WaitForTokensAsync(Authorization(TimeSpan.FromSeconds(5)), cancel.Token);
        _time.Advance(await _time.WaitForPacingTimerAsync());
        await inFlight.Task.WaitAsync(ObservableTimeProvider.HangGuard);

        await cancel.CancelAsync();

        var error = await Record.ExceptionAsync(() => task.WaitAsync(ObservableTimeProvider.HangGuard));
        Assert.IsAssignableFrom<OperationCanceledException>(error);
    }

    [Fact]
    public async Task StartAsync_CancelledDuringRequest_ThrowsOperationCanceled()
    {
        var inFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new ScriptedHandler(async (_, cancellationToken) =>
        {
            inFlight.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        using var cancel = new CancellationTokenSource();
        var task = new DeviceAuthorizationClient(new HttpClient(handler), TestOptions.Create(o => o.MaxRetryAttempts = 3), _time).StartAsync(cancel.Token);
        await inFlight.Task.WaitAsync(ObservableTimeProvider.HangGuard);

        await cancel.CancelAsync();

        var error = await Record.ExceptionAsync(() => task.WaitAsync(ObservableTimeProvider.HangGuard));
        Assert.IsAssignableFrom<OperationCanceledException>(error);
    }

    private static Func<HttpResponseMessage> TransientFailure(string kind) => kind switch
    {
        "503" => () => OAuthResponses.Status(HttpStatusCode.ServiceUnavailable),
        "429 Retry-After 30" => () => OAuthResponses.RetryAfter(HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(30)),
        "dropped connection" => () => throw new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely."),
        "502 html" => () => new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new StringContent("<html><body>Bad gateway</body></html>", System.Text.Encoding.UTF8, "text/html") },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Waits for the next pacing timer, checks nothing is sent a moment before it fires, then lets poll <paramref name="pollNumber"/> go.</summary>
    private async Task<TimeSpan> StepAsync(int pollNumber)
    {
        var due = await _time.WaitForPacingTimerAsync();
        _time.Advance(due - OneMs);
        Assert.Equal(pollNumber - 1, _handler.Requests.Count);
        _time.Advance(OneMs);
        await _handler.WaitForRequestsAsync(pollNumber);
        return due;
    }

    private void Script(params Func<HttpResponseMessage>[] responses)
    {
        foreach (var response in responses)
        {
            _script.Enqueue(response);
        }
    }

    private DeviceAuthorizationClient CreateClient() => new(new HttpClient(_handler), TestOptions.Create(), _time);

    private DeviceAuthorization Authorization(TimeSpan interval, TimeSpan? lifetime = null) => new()
    {
        DeviceCode = FakeSecrets.DeviceCode(1),
        UserCode = FakeSecrets.UserCode,
        VerificationUri = new Uri("https://anysola.test/device"),
        ExpiresAt = _time.GetUtcNow() + (lifetime ?? TimeSpan.FromMinutes(15)),
        Interval = interval,
    };
}
