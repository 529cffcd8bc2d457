using System.Net;
using Anysola.Auth.Protocol;
using Polly;
using Polly.Retry;

namespace Anysola.Auth.Http;

/// <summary>
/// Retries Anysola API calls on 429 and 5xx as Anysola asks: exponential backoff with jitter, honouring
/// <c>Retry-After</c>. 429 and 503 are retried for every method (the server did not act); other 5xx and dropped
/// connections only for idempotent methods. 402 (plan quota) is never retried. Placed outside the bearer handler,
/// so every attempt carries the current token.
/// </summary>
internal sealed class AnysolaResilienceHandler : DelegatingHandler
{
    private const string RequestKey = "Anysola.Auth.Request";
    private static readonly ResiliencePropertyKey<HttpRequestMessage> RequestProperty = new(RequestKey);

    /// <summary>A <c>Retry-After</c> longer than this is returned to the caller rather than waited out.</summary>
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(120);

    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly TimeProvider _time;

    public AnysolaResilienceHandler(TimeProvider timeProvider, int maxRetryAttempts)
    {
        _time = timeProvider;
        _pipeline = maxRetryAttempts == 0
            ? ResiliencePipeline<HttpResponseMessage>.Empty
            : new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider }
                .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
                {
                    MaxRetryAttempts = maxRetryAttempts,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromSeconds(1),
                    MaxDelay = TimeSpan.FromSeconds(30),
                    ShouldHandle = ShouldRetryAsync,
                    DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } response ? RetryAfterHeader.Read(response, _time) : null),
                    OnRetry = static args =>
                    {
                        args.Outcome.Result?.Dispose();
                        return default;
                    },
                })
                .Build();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RequestProperty, request);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (context, state) =>
                {
                    try
                    {
                        var response = await state.Handler.SendCoreAsync(state.Request, context.CancellationToken).ConfigureAwait(context.ContinueOnCapturedContext);
                        return Outcome.FromResult(response);
                    }
                    catch (Exception ex)
                    {
                        return Outcome.FromException<HttpResponseMessage>(ex);
                    }
                },
                context,
                (Handler: this, Request: request)).ConfigureAwait(false);
            outcome.ThrowIfException();
            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);

    private async ValueTask<bool> ShouldRetryAsync(RetryPredicateArguments<HttpResponseMessage> args)
    {
        var request = args.Context.Properties.GetValue(RequestProperty, null!);
        bool retryable;
        if (args.Outcome.Result is { } response)
        {
            var status = (int)response.StatusCode;
            retryable = status switch
            {
                429 or 503 => true,
                408 or 500 or 502 or 504 => IsIdempotent(request.Method),
                _ => false,
            };
            if (retryable && RetryAfterHeader.Read(response, _time) > MaxRetryAfter)
            {
                retryable = false;
            }
        }
        else
        {
            retryable = args.Outcome.Exception is HttpRequestException && IsIdempotent(request.Method);
        }

        return retryable && await RequestReplay.CanReplayAsync(request, args.Context.CancellationToken).ConfigureAwait(false);
    }

    private static bool IsIdempotent(HttpMethod method) =>
        method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Options
        || method == HttpMethod.Put || method == HttpMethod.Delete || method == HttpMethod.Trace;
}
