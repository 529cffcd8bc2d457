using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Anysola.Auth.Benchmarks;

/// <summary>Shared constants: an origin nothing resolves, so no benchmark can reach a real server by mistake.</summary>
internal static class Fixture
{
    public static readonly Uri BaseAddress = new("https://anysola.example/");
    public static readonly Uri ApiUri = new("https://anysola.example/api/agents");
    public const string HotAccessToken = "ays_oauth_FAKE_hot";
    public const string HotRefreshToken = "ays_refresh_FAKE_hot";

    public static AnysolaAuthOptions Options(Uri? baseAddress = null, TimeSpan? refreshBeforeExpiry = null) => new()
    {
        BaseAddress = baseAddress ?? BaseAddress,
        CliLabel = "bench",
        RefreshBeforeExpiry = refreshBeforeExpiry ?? TimeSpan.FromSeconds(60),
        MaxRetryAttempts = 0,
    };

    public static TokenSet LongLived(string access = HotAccessToken, string refresh = HotRefreshToken) => new()
    {
        AccessToken = access,
        RefreshToken = refresh,
        ExpiresAt = DateTimeOffset.UtcNow.AddDays(1),
        IssuedAt = DateTimeOffset.UtcNow,
    };
}

/// <summary>The end of the hot-path pipeline: answers every request with the same completed 200, allocating nothing.</summary>
internal sealed class StaticOkHandler : HttpMessageHandler
{
    private static readonly Task<HttpResponseMessage> Ok = Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Ok;

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) => Ok.Result;
}

/// <summary>The floor: a delegating handler that adds nothing.</summary>
internal sealed class NoOpHandler(HttpMessageHandler inner) : DelegatingHandler(inner);

/// <summary>
/// A reference point, not a competitor: sets a constant bearer header and passes the call through, so
/// "ours minus this" is what token management costs beyond having an Authorization header at all.
/// </summary>
internal sealed class StaticHeaderHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Fixture.HotAccessToken);
        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>
/// An in-memory OAuth token endpoint that behaves like Anysola's for refresh: a fixed latency, rotation on every
/// refresh, and <c>invalid_grant</c> for a refresh token that is not the current one. Reads JSON (ours) and form
/// bodies (the peer). Counts every call and records when each was in flight.
/// </summary>
internal sealed class FakeTokenEndpoint : HttpMessageHandler
{
    private readonly Lock _gate = new();
    private readonly List<(long Start, long End)> _intervals = [];
    private int _calls;
    private int _rejected;
    private int _generation;
    private string _refreshToken = "";
    private string? _accessToken;
    private string? _previousAccessToken;

    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>expires_in of issued access tokens, in seconds.</summary>
    public int ExpiresInSeconds { get; set; } = 3600;

    public bool RecordIntervals { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Calls answered with invalid_grant (a refresh token that had already been rotated).</summary>
    public int Rejected => Volatile.Read(ref _rejected);

    /// <summary>The access token the fake API accepts; null accepts none.</summary>
    public string? CurrentAccessToken => Volatile.Read(ref _accessToken);

    /// <summary>The access token issued before <see cref="CurrentAccessToken"/>.</summary>
    public string? PreviousAccessToken => Volatile.Read(ref _previousAccessToken);

    public IReadOnlyList<(long Start, long End)> Intervals
    {
        get
        {
            lock (_gate)
            {
                return [.. _intervals];
            }
        }
    }

    /// <summary>Starts a new session: <paramref name="refreshToken"/> is current; <paramref name="accessToken"/> is the one the API accepts.</summary>
    public void Reset(string refreshToken, string? accessToken)
    {
        lock (_gate)
        {
            _calls = 0;
            _rejected = 0;
            _refreshToken = refreshToken;
            _accessToken = accessToken;
            _previousAccessToken = null;
            _intervals.Clear();
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _calls);
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var presented = RefreshTokenOf(body, request.Content?.Headers.ContentType?.MediaType);
        await Task.Delay(Latency, cancellationToken).ConfigureAwait(false);

        string json;
        HttpStatusCode status;
        lock (_gate)
        {
            if (presented is null || presented != _refreshToken)
            {
                _rejected++;
                status = HttpStatusCode.BadRequest;
                json = """{"error":"invalid_grant","error_description":"The refresh token is not current."}""";
            }
            else
            {
                _generation++;
                _refreshToken = $"ays_refresh_FAKE_{_generation}";
                _previousAccessToken = _accessToken;
                _accessToken = $"ays_oauth_FAKE_{_generation}";
                status = HttpStatusCode.OK;
                json = $$"""{"access_token":"{{_accessToken}}","token_type":"Bearer","expires_in":{{ExpiresInSeconds}},"refresh_token":"{{_refreshToken}}","scope":"agents:read"}""";
            }

            if (RecordIntervals)
            {
                _intervals.Add((start, Stopwatch.GetTimestamp()));
            }
        }

        return new HttpResponseMessage(status)
        {
            RequestMessage = request,
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
    }

    private static string? RefreshTokenOf(string body, string? mediaType)
    {
        if (mediaType == "application/json")
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("refresh_token", out var value) ? value.GetString() : null;
        }

        foreach (var pair in body.Split('&'))
        {
            var separator = pair.IndexOf('=', StringComparison.Ordinal);
            if (separator > 0 && Uri.UnescapeDataString(pair[..separator]) == "refresh_token")
            {
                return Uri.UnescapeDataString(pair[(separator + 1)..].Replace('+', ' '));
            }
        }

        return null;
    }
}

/// <summary>
/// An in-memory API: 200 for the access token the token endpoint issued last (and, with
/// <paramref name="acceptPrevious"/>, the one before it, which Anysola keeps valid until it expires), 401 otherwise.
/// With <paramref name="holdFirst"/> = N, the first N requests are judged on arrival but answered only once all N
/// have arrived, so a storm's requests are all in flight together, as they would be against a real server.
/// </summary>
internal sealed class FakeApi(FakeTokenEndpoint tokens, bool acceptPrevious = false, int holdFirst = 0) : HttpMessageHandler
{
    private readonly TaskCompletionSource _allArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _arrived;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var presented = request.Headers.Authorization?.Parameter;
        var accepted = presented is not null
            && (presented == tokens.CurrentAccessToken || (acceptPrevious && presented == tokens.PreviousAccessToken));
        var response = new HttpResponseMessage(accepted ? HttpStatusCode.OK : HttpStatusCode.Unauthorized) { RequestMessage = request };
        if (holdFirst > 0)
        {
            var arrived = Interlocked.Increment(ref _arrived);
            if (arrived <= holdFirst)
            {
                if (arrived == holdFirst)
                {
                    _allArrived.TrySetResult();
                }

                return HoldAsync(response);
            }
        }

        return Task.FromResult(response);
    }

    private async Task<HttpResponseMessage> HoldAsync(HttpResponseMessage response)
    {
        await _allArrived.Task.ConfigureAwait(false);
        return response;
    }
}
