using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Anysola.Auth.Tests.Tokens;

/// <summary>
/// An in-process Anysola OAuth server with strict refresh-token rotation: every refresh returns a new pair and kills
/// the old refresh token; presenting a rotated refresh token answers invalid_grant and (by default) ends the whole
/// session. Records every request and lets a test hold a refresh or revocation on a signal.
/// </summary>
public sealed class StrictRotationTokenEndpoint : HttpMessageHandler
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<string, int> _activeRefresh = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _rotatedRefresh = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _accessSessions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _revokedAccess = new(StringComparer.Ordinal);
    private readonly HashSet<int> _endedSessions = [];
    private readonly SemaphoreSlim _refreshArrivals = new(0);
    private readonly SemaphoreSlim _revokeArrivals = new(0);
    private int _nextSession;
    private int _nextToken;

    public StrictRotationTokenEndpoint(TimeProvider time) => _time = time;

    /// <summary>expires_in of issued access tokens.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Answer refreshes without a refresh_token (the old one then stays valid, RFC 6749 §6).</summary>
    public bool OmitRefreshToken { get; set; }

    /// <summary>Reuse of a rotated refresh token ends its whole session (RFC 9700 reuse detection).</summary>
    public bool RevokeSessionOnReuse { get; set; } = true;

    /// <summary>Runs after a refresh request is recorded and before it is answered; may block on a signal.</summary>
    public Func<string, CancellationToken, Task>? BeforeRefresh { get; set; }

    /// <summary>Runs after a revocation request is recorded and before it is answered; may block on a signal.</summary>
    public Func<CancellationToken, Task>? BeforeRevoke { get; set; }

    /// <summary>Every userinfo request answers 401, as for a token revoked right after it was issued.</summary>
    public bool RejectAllAccessTokens { get; set; }

    /// <summary>The status the revocation endpoint answers with.</summary>
    public HttpStatusCode RevokeStatus { get; set; } = HttpStatusCode.OK;

    /// <summary>The refresh token of every refresh request, in arrival order.</summary>
    public ConcurrentQueue<string> RefreshRequests { get; } = new();

    /// <summary>The outcome of every refresh request ("issued", "invalid_grant", "reuse_detected").</summary>
    public ConcurrentQueue<string> RefreshOutcomes { get; } = new();

    /// <summary>Every refresh token issued, in order.</summary>
    public ConcurrentQueue<string> IssuedRefreshTokens { get; } = new();

    /// <summary>Every revocation request as (token, token_type_hint).</summary>
    public ConcurrentQueue<(string Token, string? Hint)> RevokeRequests { get; } = new();

    /// <summary>The bearer token of every userinfo request.</summary>
    public ConcurrentQueue<string?> UserInfoRequests { get; } = new();

    /// <summary>Every request path, in arrival order.</summary>
    public ConcurrentQueue<string> Paths { get; } = new();

    public int DeviceRequestCount => Paths.Count(p => p.EndsWith("/device", StringComparison.Ordinal));

    public string UserInfoJson { get; set; } =
        """{"sub":"usr_ada","name":"Ada Lovelace","email":"ada@acme.test","workspace":{"id":"ws_acme","name":"Acme Corp","slug":"acme"},"role":"admin","scope":"agents:read workspace:read","extra_field":{"nested":true}}""";

    /// <summary>Starts a new session as a completed device login would, returning its tokens.</summary>
    public TokenSet IssueSession(TimeSpan? lifetime = null)
    {
        lock (_gate)
        {
            return IssuePair(++_nextSession, lifetime ?? AccessTokenLifetime, withRefresh: true, null);
        }
    }

    /// <summary>Rotates <paramref name="refreshToken"/> as another process would, returning the new pair.</summary>
    public TokenSet RotateAsAnotherProcess(string refreshToken, TimeSpan? lifetime = null)
    {
        lock (_gate)
        {
            if (!_activeRefresh.Remove(refreshToken, out var session))
            {
                throw new InvalidOperationException("That refresh token is not active.");
            }

            _rotatedRefresh[refreshToken] = session;
            return IssuePair(session, lifetime ?? AccessTokenLifetime, withRefresh: true, refreshToken);
        }
    }

    /// <summary>Makes the API reject an access token (as if revoked by an admin) while its refresh token lives on.</summary>
    public void RevokeAccessToken(string accessToken)
    {
        lock (_gate)
        {
            _revokedAccess.Add(accessToken);
        }
    }

    public bool IsRefreshTokenActive(string refreshToken)
    {
        lock (_gate)
        {
            return _activeRefresh.TryGetValue(refreshToken, out var session) && !_endedSessions.Contains(session);
        }
    }

    /// <summary>Completes when the next not-yet-awaited refresh request has arrived.</summary>
    public Task WaitForRefreshRequestAsync() => _refreshArrivals.WaitAsync().WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>Completes when the next not-yet-awaited revocation request has arrived.</summary>
    public Task WaitForRevokeRequestAsync() => _revokeArrivals.WaitAsync().WaitAsync(TimeSpan.FromSeconds(10));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        Paths.Enqueue(path);
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var fields = ParseFields(body, request.Content?.Headers.ContentType?.MediaType);

        switch (path)
        {
            case "/api/oauth/token" when fields.GetValueOrDefault("grant_type") == "refresh_token":
                return await RefreshAsync(fields.GetValueOrDefault("refresh_token") ?? "", cancellationToken);
            case "/api/oauth/revoke":
                RevokeRequests.Enqueue((fields.GetValueOrDefault("token") ?? "", fields.GetValueOrDefault("token_type_hint")));
                _revokeArrivals.Release();
                if (BeforeRevoke is { } beforeRevoke)
                {
                    await beforeRevoke(cancellationToken);
                }

                return RevokeStatus == HttpStatusCode.OK ? Json(HttpStatusCode.OK, "{}") : Json(RevokeStatus, """{"error":"server_error"}""");
            case "/api/oauth/userinfo":
                var bearer = request.Headers.Authorization?.Parameter;
                UserInfoRequests.Enqueue(bearer);
                return !RejectAllAccessTokens && IsAccessTokenValid(bearer)
                    ? Json(HttpStatusCode.OK, UserInfoJson)
                    : Unauthorized();
            default:
                // The device endpoint and anything else: a refresh must never lead here.
                return Json(HttpStatusCode.BadRequest, """{"error":"unsupported_grant_type"}""");
        }
    }

    private async Task<HttpResponseMessage> RefreshAsync(string refreshToken, CancellationToken cancellationToken)
    {
        RefreshRequests.Enqueue(refreshToken);
        _refreshArrivals.Release();
        if (BeforeRefresh is { } beforeRefresh)
        {
            await beforeRefresh(refreshToken, cancellationToken);
        }

        TokenSet issued;
        lock (_gate)
        {
            if (_activeRefresh.TryGetValue(refreshToken, out var session) && !_endedSessions.Contains(session))
            {
                if (!OmitRefreshToken)
                {
                    _activeRefresh.Remove(refreshToken);
                    _rotatedRefresh[refreshToken] = session;
                }

                issued = IssuePair(session, AccessTokenLifetime, withRefresh: !OmitRefreshToken, refreshToken);
            }
            else if (_rotatedRefresh.TryGetValue(refreshToken, out var reused))
            {
                if (RevokeSessionOnReuse)
                {
                    _endedSessions.Add(reused);
                }

                RefreshOutcomes.Enqueue("reuse_detected");
                return InvalidGrant();
            }
            else
            {
                RefreshOutcomes.Enqueue("invalid_grant");
                return InvalidGrant();
            }
        }

        RefreshOutcomes.Enqueue("issued");
        var json = new StringBuilder("{")
            .Append(CultureInfo.InvariantCulture, $"\"access_token\":\"{issued.AccessToken}\",\"token_type\":\"Bearer\",")
            .Append(CultureInfo.InvariantCulture, $"\"expires_in\":{AccessTokenLifetime.TotalSeconds.ToString(CultureInfo.InvariantCulture)},\"scope\":\"agents:read workspace:read\"");
        if (!OmitRefreshToken)
        {
            json.Append(CultureInfo.InvariantCulture, $",\"refresh_token\":\"{issued.RefreshToken}\"");
        }

        return Json(HttpStatusCode.OK, json.Append('}').ToString());
    }

    private TokenSet IssuePair(int session, TimeSpan lifetime, bool withRefresh, string? previousRefresh)
    {
        var n = ++_nextToken;
        var access = $"ays_oauth_FAKE_{n}";
        var refresh = withRefresh ? $"ays_refresh_FAKE_{n}" : previousRefresh;
        _accessSessions[access] = session;
        if (withRefresh)
        {
            _activeRefresh[refresh!] = session;
            IssuedRefreshTokens.Enqueue(refresh!);
        }

        var now = _time.GetUtcNow();
        return new TokenSet
        {
            AccessToken = access,
            RefreshToken = refresh,
            ExpiresAt = now + lifetime,
            IssuedAt = now,
            Scopes = ["agents:read", "workspace:read"],
        };
    }

    private bool IsAccessTokenValid(string? accessToken)
    {
        lock (_gate)
        {
            return accessToken is not null
                && _accessSessions.TryGetValue(accessToken, out var session)
                && !_endedSessions.Contains(session)
                && !_revokedAccess.Contains(accessToken);
        }
    }

    private static Dictionary<string, string> ParseFields(string? body, string? mediaType)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(body))
        {
            return fields;
        }

        if (mediaType == "application/json")
        {
            using var document = JsonDocument.Parse(body);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                fields[property.Name] = property.Value.GetString() ?? "";
            }
        }
        else
        {
            foreach (var pair in body.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = pair.Split('=', 2);
                fields[Uri.UnescapeDataString(parts[0])] = parts.Length > 1 ? Uri.UnescapeDataString(parts[1].Replace('+', ' ')) : "";
            }
        }

        return fields;
    }

    private static HttpResponseMessage InvalidGrant() =>
        Json(HttpStatusCode.BadRequest, """{"error":"invalid_grant","error_description":"The refresh token is invalid."}""");

    private static HttpResponseMessage Unauthorized()
    {
        var response = Json(HttpStatusCode.Unauthorized, """{"error":"invalid_token"}""");
        response.Headers.WwwAuthenticate.ParseAdd("Bearer error=\"invalid_token\"");
        return response;
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
}
