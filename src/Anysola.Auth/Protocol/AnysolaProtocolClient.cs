using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Anysola.Auth.Diagnostics;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Anysola.Auth.Protocol;

/// <summary>
/// The one place that talks OAuth on the wire: it builds every request (JSON or form, <c>client_id</c>,
/// <c>Accept</c>), reads responses within a size cap and a timeout, maps every failure to
/// <see cref="AnysolaAuthException"/>, and retries transient faults where repeating the request is safe.
/// It knows nothing about stores or callers.
/// </summary>
internal sealed class AnysolaProtocolClient
{
    /// <summary>Responses larger than this are refused: no OAuth response comes close.</summary>
    internal const int MaxResponseBytes = 1024 * 1024;

    /// <summary>A <c>Retry-After</c> longer than this is not waited out automatically; the error is returned instead.</summary>
    internal static readonly TimeSpan MaxAutomaticRetryAfter = TimeSpan.FromSeconds(60);

    private const string DeviceCodeGrantType = "urn:ietf:params:oauth:grant-type:device_code";
    private static readonly MediaTypeWithQualityHeaderValue AcceptJson = new("application/json");
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");

    private readonly Func<HttpClient> _httpClient;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _safeToRepeat;
    private readonly ResiliencePipeline _refresh;

    public AnysolaProtocolClient(Func<HttpClient> httpClient, AnysolaSettings settings, TimeProvider time, ILogger logger)
    {
        _httpClient = httpClient;
        Settings = settings;
        _time = time;
        _logger = logger;
        _safeToRepeat = BuildRetryPipeline(settings.MaxRetryAttempts, time, static e => true);

        // Rotation makes the refresh grant special: if the server acted on a request whose answer was lost,
        // repeating it replays a refresh token that is already dead, and a server with reuse detection ends
        // the session. So only faults where the server certainly did not act are retried automatically: no
        // connection, 429 (refused by rate limiting) and 503 (not served). Ambiguous faults surface as a
        // transient error with the stored tokens untouched.
        _refresh = BuildRetryPipeline(settings.MaxRetryAttempts, time, static e => e.RequestNotProcessed);
    }

    public AnysolaSettings Settings { get; }

    public TimeProvider TimeProvider => _time;

    public async Task<DeviceAuthorization> StartDeviceAuthorizationAsync(CancellationToken cancellationToken)
    {
        var fields = new List<KeyValuePair<string, string>>(3)
        {
            new("client_id", Settings.ClientId),
            new("cli_label", Settings.CliLabel),
        };
        if (Settings.Scopes.Count > 0)
        {
            fields.Add(new("scope", string.Join(' ', Settings.Scopes)));
        }

        var requestedAt = _time.GetUtcNow();
        var (body, status) = await _safeToRepeat.ExecuteAsync(
            static (state, token) => new ValueTask<(DeviceAuthorizationResponse, HttpStatusCode)>(
                state.self.SendForJsonAsync(HttpMethod.Post, state.self.Settings.DeviceAuthorizationEndpoint, state.fields, null, ProtocolJsonContext.Default.DeviceAuthorizationResponse, token)),
            (self: this, fields),
            cancellationToken).ConfigureAwait(false);

        var authorization = ProtocolParser.ToDeviceAuthorization(body, status, requestedAt, Settings.MaxDeviceCodeLifetime);
        Log.DeviceAuthorizationStarted(_logger, authorization.ExpiresAt - requestedAt, authorization.Interval);
        return authorization;
    }

    /// <summary>One poll of the token endpoint with the device code. Not retried here: the polling loop owns the pacing.</summary>
    public Task<TokenSet> PollDeviceTokenAsync(string deviceCode, CancellationToken cancellationToken)
    {
        var fields = new[]
        {
            new KeyValuePair<string, string>("grant_type", DeviceCodeGrantType),
            new KeyValuePair<string, string>("device_code", deviceCode),
            new KeyValuePair<string, string>("client_id", Settings.ClientId),
        };
        return RequestTokensAsync(fields, previous: null, cancellationToken);
    }

    public async Task<TokenSet> RefreshAsync(TokenSet current, CancellationToken cancellationToken)
    {
        var fields = new[]
        {
            new KeyValuePair<string, string>("grant_type", "refresh_token"),
            new KeyValuePair<string, string>("refresh_token", current.RefreshToken ?? throw new ArgumentException("The token set has no refresh token.", nameof(current))),
            new KeyValuePair<string, string>("client_id", Settings.ClientId),
        };
        return await _refresh.ExecuteAsync(
            static (state, token) => new ValueTask<TokenSet>(state.self.RequestTokensAsync(state.fields, state.current, token)),
            (self: this, fields, current),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>RFC 7009 revocation. Any 2xx is success: the server answers 200 even for unknown tokens.</summary>
    public async Task RevokeAsync(string token, string tokenTypeHint, CancellationToken cancellationToken)
    {
        var fields = new[]
        {
            new KeyValuePair<string, string>("token", token),
            new KeyValuePair<string, string>("token_type_hint", tokenTypeHint),
            new KeyValuePair<string, string>("client_id", Settings.ClientId),
        };
        await _safeToRepeat.ExecuteAsync(
            static async (state, cancel) =>
            {
                var response = await state.self.SendAsync(HttpMethod.Post, state.self.Settings.RevocationEndpoint, state.fields, null, cancel).ConfigureAwait(false);
                if (!response.IsSuccess)
                {
                    throw state.self.ErrorFrom(response);
                }
            },
            (self: this, fields),
            cancellationToken).ConfigureAwait(false);
    }

    public async Task<AnysolaUserInfo> GetUserInfoAsync(string accessToken, CancellationToken cancellationToken)
    {
        var response = await _safeToRepeat.ExecuteAsync(
            static async (state, token) =>
            {
                var response = await state.self.SendAsync(HttpMethod.Get, state.self.Settings.UserInfoEndpoint, null, state.accessToken, token).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    throw new AnysolaAuthException(AnysolaAuthErrors.InvalidToken, "The access token was rejected.", response.StatusCode);
                }

                // Thrown inside the pipeline, so 429 and 5xx are retried like any other safe request.
                return response.IsSuccess ? response : throw state.self.ErrorFrom(response);
            },
            (self: this, accessToken),
            cancellationToken).ConfigureAwait(false);

        return ProtocolParser.ParseUserInfo(response);
    }

    private async Task<TokenSet> RequestTokensAsync(KeyValuePair<string, string>[] fields, TokenSet? previous, CancellationToken cancellationToken)
    {
        var requestedAt = _time.GetUtcNow();
        var (body, status) = await SendForJsonAsync(HttpMethod.Post, Settings.TokenEndpoint, fields, null, ProtocolJsonContext.Default.TokenResponse, cancellationToken).ConfigureAwait(false);
        return ProtocolParser.ToTokenSet(body, status, requestedAt, previous, Settings.Scopes);
    }

    private async Task<(T Body, HttpStatusCode Status)> SendForJsonAsync<T>(HttpMethod method, Uri endpoint, IReadOnlyList<KeyValuePair<string, string>>? fields, string? bearer, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
        where T : class, IOAuthErrorBody
    {
        var response = await SendAsync(method, endpoint, fields, bearer, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccess)
        {
            throw ErrorFrom(response);
        }

        var body = ProtocolParser.Deserialize(response, typeInfo);
        if (!string.IsNullOrEmpty(body.Error))
        {
            // An error member on a 2xx is still an error (some servers and proxies answer that way).
            throw ProtocolParser.ErrorOnSuccess(body.Error, body.ErrorDescription, response.StatusCode, PollIntervalOf(body));
        }

        return (body, response.StatusCode);
    }

    /// <summary>Maps a non-success response to a typed error, marking what is transient.</summary>
    private AnysolaAuthException ErrorFrom(ProtocolResponse response)
    {
        var status = (int)response.StatusCode;
        var transient = status is 408 or 429 or >= 500;
        var notProcessed = status is 429 or 503;
        ErrorResponse? error = null;
        if (response.LooksLikeJsonObject)
        {
            try
            {
                error = JsonSerializer.Deserialize(response.Body.Span, ProtocolJsonContext.Default.ErrorResponse);
            }
            catch (JsonException)
            {
                // Not a usable error body; fall through to the status-based error.
            }
        }

        Log.ServerError(_logger, status, error?.Error);
        if (!string.IsNullOrEmpty(error?.Error) && ProtocolParser.IsOAuthErrorCode(error.Error))
        {
            return new AnysolaAuthException(error.Error, error.ErrorDescription, response.StatusCode)
            {
                IsTransient = transient,
                RequestNotProcessed = notProcessed,
                RetryAfter = response.RetryAfter,
                PollInterval = PollIntervalOf(error),
            };
        }

        // Anysola's API answers { "error": "human readable text" }; a proxy answers with an HTML page.
        var description = error?.Error ?? (response.Body.IsEmpty
            ? "The server returned an empty error response."
            : $"The server returned HTTP {status} with a body that is not an OAuth error ({response.MediaType ?? "no content type"}).");
        return new AnysolaAuthException(transient ? AnysolaAuthErrors.ServerError : ErrorCodeFor(response.StatusCode), description, response.StatusCode)
        {
            IsTransient = transient,
            RequestNotProcessed = notProcessed,
            RetryAfter = response.RetryAfter,
        };
    }

    private static TimeSpan? PollIntervalOf(IOAuthErrorBody body) =>
        body.Interval is { } seconds && double.IsFinite(seconds) && seconds is > 0 and <= 3600 ? TimeSpan.FromSeconds(seconds) : null;

    private static string ErrorCodeFor(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => AnysolaAuthErrors.InvalidToken,
        _ => AnysolaAuthErrors.ServerError,
    };

    /// <summary>Sends one request and reads its whole body, within the size cap and the request timeout.</summary>
    internal async Task<ProtocolResponse> SendAsync(HttpMethod method, Uri endpoint, IReadOnlyList<KeyValuePair<string, string>>? fields, string? bearer, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(Settings.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = new HttpRequestMessage(method, endpoint);
        request.Headers.Accept.Add(AcceptJson);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (fields is not null)
        {
            request.Content = Settings.Encoding == AnysolaRequestEncoding.Form ? new FormUrlEncodedContent(fields) : JsonBody(fields);
        }

        var stage = "connecting";
        try
        {
            using var response = await _httpClient().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            stage = "reading the response";
            var body = await ReadBodyAsync(response, linked.Token).ConfigureAwait(false);
            return new ProtocolResponse(response.StatusCode, body, response.Content.Headers.ContentType?.MediaType, RetryAfterHeader.Read(response, _time));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex)
        {
            // Our timeout, or HttpClient.Timeout: either way the caller did not cancel.
            throw new AnysolaAuthException(AnysolaAuthErrors.RequestTimeout, $"The request to {endpoint.AbsolutePath} timed out while {stage}.", null, innerException: ex)
            {
                IsTransient = true,
            };
        }
        catch (HttpRequestException ex)
        {
            var notSent = ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError
                && stage == "connecting";
            throw new AnysolaAuthException(AnysolaAuthErrors.NetworkError, $"Could not reach {endpoint.GetLeftPart(UriPartial.Authority)} while {stage}: {ex.HttpRequestError}.", ex.StatusCode, innerException: ex)
            {
                IsTransient = true,
                RequestNotProcessed = notSent,
            };
        }
        catch (IOException ex)
        {
            throw new AnysolaAuthException(AnysolaAuthErrors.NetworkError, $"The connection to {endpoint.GetLeftPart(UriPartial.Authority)} failed while {stage}.", null, innerException: ex)
            {
                IsTransient = true,
            };
        }
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength is > MaxResponseBytes)
        {
            throw TooLarge(response.StatusCode);
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new ArrayBufferWriter<byte>(4096);
            while (true)
            {
                var memory = buffer.GetMemory(8192);
                var read = await stream.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return buffer.WrittenMemory;
                }

                buffer.Advance(read);
                if (buffer.WrittenCount > MaxResponseBytes)
                {
                    throw TooLarge(response.StatusCode);
                }
            }
        }
    }

    private static AnysolaAuthException TooLarge(HttpStatusCode status) =>
        new(AnysolaAuthErrors.InvalidResponse, $"The response body is larger than the {MaxResponseBytes / 1024} KiB limit.", status);

    private static ByteArrayContent JsonBody(IReadOnlyList<KeyValuePair<string, string>> fields)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in fields)
            {
                writer.WriteString(name, value);
            }

            writer.WriteEndObject();
        }

        var content = new ByteArrayContent(buffer.WrittenSpan.ToArray());
        content.Headers.ContentType = JsonContentType;
        return content;
    }

    private ResiliencePipeline BuildRetryPipeline(int maxRetryAttempts, TimeProvider time, Func<AnysolaAuthException, bool> retryable)
    {
        if (maxRetryAttempts == 0)
        {
            return ResiliencePipeline.Empty;
        }

        return new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = maxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(1),
                MaxDelay = TimeSpan.FromSeconds(30),
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is AnysolaAuthException { IsTransient: true } e
                    && (e.RetryAfter is null || e.RetryAfter <= MaxAutomaticRetryAfter)
                    && retryable(e)),
                DelayGenerator = static args => ValueTask.FromResult(
                    args.Outcome.Exception is AnysolaAuthException { RetryAfter: { } retryAfter } ? retryAfter : (TimeSpan?)null),
                OnRetry = args =>
                {
                    var error = args.Outcome.Exception as AnysolaAuthException;
                    Log.RetryingTransientFailure(_logger, error?.Error ?? "unknown", (int?)error?.StatusCode, args.RetryDelay, args.AttemptNumber + 1);
                    AnysolaAuthDiagnostics.TransientRetries.Add(1);
                    return default;
                },
            })
            .Build();
    }
}
