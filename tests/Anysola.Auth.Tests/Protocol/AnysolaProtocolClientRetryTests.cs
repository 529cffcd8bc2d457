using System.Net;
using Anysola.Auth.Tests.TestInfrastructure;

namespace Anysola.Auth.Tests.Protocol;

/// <summary>
/// Automatic retries of transient faults: safe requests are retried on the injected clock; the refresh grant only
/// where the server certainly did not act (no connection, 429, 503), since a rotated refresh token must not be replayed.
/// </summary>
public sealed class AnysolaProtocolClientRetryTests
{
    private readonly ObservableTimeProvider _time = new();

    [Fact]
    public async Task StartAsync_503Then200_SucceedsOnlyAfterTheRetryDelay()
    {
        var handler = Sequence(
            () => OAuthResponses.Status(HttpStatusCode.ServiceUnavailable),
            () => OAuthResponses.Device(FakeSecrets.DeviceCode(1)));
        var client = new DeviceAuthorizationClient(new HttpClient(handler), TestOptions.Create(o => o.MaxRetryAttempts = 3), _time);

        var task = client.StartAsync();
        var delay = await _time.WaitForPacingTimerAsync();
        Assert.InRange(delay, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(30));
        Assert.Single(handler.Requests);
        Assert.False(task.IsCompleted);

        _time.Advance(delay);
        var authorization = await task.WaitAsync(ObservableTimeProvider.HangGuard);

        Assert.Equal(FakeSecrets.DeviceCode(1), authorization.DeviceCode);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task StartAsync_429WithRetryAfter_WaitsExactlyThatLong()
    {
        var handler = Sequence(
            () => OAuthResponses.RetryAfter(HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(7)),
            () => OAuthResponses.Device(FakeSecrets.DeviceCode(1)));
        var client = new DeviceAuthorizationClient(new HttpClient(handler), TestOptions.Create(o => o.MaxRetryAttempts = 3), _time);

        var task = client.StartAsync();
        Assert.Equal(TimeSpan.FromSeconds(7), await _time.WaitForPacingTimerAsync());
        _time.Advance(TimeSpan.FromSeconds(7) - TimeSpan.FromMilliseconds(1));
        Assert.Single(handler.Requests);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        await task.WaitAsync(ObservableTimeProvider.HangGuard);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task StartAsync_PersistentFailure_GivesUpAfterMaxRetryAttempts()
    {
        var handler = new ScriptedHandler(_ => OAuthResponses.Status(HttpStatusCode.ServiceUnavailable));
        var client = new DeviceAuthorizationClient(new HttpClient(handler), TestOptions.Create(o => o.MaxRetryAttempts = 2), _time);

        var error = await Assert.ThrowsAsync<AnysolaAuthException>(() => _time.RunAsync(client.StartAsync()));

        Assert.True(error.IsTransient);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal(3, handler.Requests.Count);
    }

    [Theory]
    [InlineData("500")]
    [InlineData("502")]
    [InlineData("dropped after sending")]
    public async Task Refresh_AmbiguousFailure_IsNotRetried(string failure)
    {
        var handler = Sequence(
            failure switch
            {
                "500" => () => OAuthResponses.Status(HttpStatusCode.InternalServerError),
                "502" => () => OAuthResponses.Status(HttpStatusCode.BadGateway),
                _ => () => throw new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely."),
            },
            () => OAuthResponses.Tokens(FakeSecrets.Access(2), FakeSecrets.Refresh(2)));
        var expired = FakeTokenSets.Expired(_time);
        var store = new InMemoryTokenStore(expired);
        var manager = new TokenManager(new HttpClient(handler), store, TestOptions.Create(o => o.MaxRetryAttempts = 3), _time);

        var error = await Assert.ThrowsAsync<AnysolaAuthException>(() => manager.GetAccessTokenAsync().AsTask().WaitAsync(ObservableTimeProvider.HangGuard));

        Assert.True(error.IsTransient);
        Assert.Single(handler.Requests);
        Assert.Equal(expired, await store.GetAsync()); // the stored tokens are untouched
    }

    [Theory]
    [InlineData("429 Retry-After 2")]
    [InlineData("503")]
    [InlineData("connection refused")]
    public async Task Refresh_FailureTheServerDidNotActOn_IsRetried(string failure)
    {
        var handler = Sequence(
            failure switch
            {
                "429 Retry-After 2" => () => OAuthResponses.RetryAfter(HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(2)),
                "503" => () => OAuthResponses.Status(HttpStatusCode.ServiceUnavailable),
                _ => () => throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused."),
            },
            () => OAuthResponses.Tokens(FakeSecrets.Access(2), FakeSecrets.Refresh(2)));
        var store = new InMemoryTokenStore(FakeTokenSets.Expired(_time));
        var manager = new TokenManager(new HttpClient(handler), store, TestOptions.Create(o => o.MaxRetryAttempts = 3), _time);

        var task = manager.GetAccessTokenAsync().AsTask();
        var delay = await _time.WaitForPacingTimerAsync();
        if (failure.StartsWith("429", StringComparison.Ordinal))
        {
            Assert.Equal(TimeSpan.FromSeconds(2), delay);
        }

        Assert.Single(handler.Requests);
        _time.Advance(delay);

        Assert.Equal(FakeSecrets.Access(2), await task.WaitAsync(ObservableTimeProvider.HangGuard));
        Assert.Equal(2, handler.Requests.Count);
        Assert.Equal(FakeSecrets.Refresh(1), handler.Requests[1].Field("refresh_token"));
        Assert.Equal(FakeSecrets.Refresh(2), (await store.GetAsync())!.RefreshToken);
    }

    [Fact]
    public async Task Poll_ServerError_IsNotRetriedByThePipeline()
    {
        // The polling loop owns pacing: one poll is one request, whatever MaxRetryAttempts says.
        var handler = Sequence(
            () => OAuthResponses.Status(HttpStatusCode.ServiceUnavailable),
            () => OAuthResponses.Tokens(FakeSecrets.Access(1), FakeSecrets.Refresh(1)));
        var client = new DeviceAuthorizationClient(new HttpClient(handler), TestOptions.Create(o => o.MaxRetryAttempts = 3), _time);
        var authorization = new DeviceAuthorization
        {
            DeviceCode = FakeSecrets.DeviceCode(1),
            UserCode = FakeSecrets.UserCode,
            VerificationUri = new Uri("https://anysola.test/device"),
            ExpiresAt = _time.GetUtcNow() + TimeSpan.FromMinutes(5),
            Interval = TimeSpan.FromSeconds(5),
        };

        var task = client.WaitForTokensAsync(authorization);
        _time.Advance(await _time.WaitForPacingTimerAsync());
        await handler.WaitForRequestsAsync(1);

        Assert.Equal(TimeSpan.FromSeconds(10), await _time.WaitForPacingTimerAsync()); // the loop's backoff, not a Polly delay
        Assert.Single(handler.Requests);
        _time.Advance(TimeSpan.FromSeconds(10));
        await task.WaitAsync(ObservableTimeProvider.HangGuard);
    }

    private static ScriptedHandler Sequence(params Func<HttpResponseMessage>[] responses)
    {
        var next = 0;
        return new ScriptedHandler(_ => responses[Math.Min(Interlocked.Increment(ref next) - 1, responses.Length - 1)]());
    }
}
