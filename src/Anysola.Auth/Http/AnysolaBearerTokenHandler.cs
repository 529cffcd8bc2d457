using System.Net;
using System.Net.Http.Headers;
using Anysola.Auth.Diagnostics;
using Anysola.Auth.Http;
using Anysola.Auth.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anysola.Auth;

/// <summary>
/// Attaches <c>Authorization: Bearer</c> from <see cref="TokenManager"/> to requests for the configured Anysola origin
/// (same scheme, host and port; HTTPS unless loopback) and passes every other request through untouched. On a 401 it
/// refreshes once and resends once, when the body can be replayed. Holds no per-request or per-token state, so
/// <c>IHttpClientFactory</c> may pool it.
/// </summary>
public sealed class AnysolaBearerTokenHandler : DelegatingHandler
{
    private readonly TokenManager _tokens;
    private readonly AnysolaSettings _settings;
    private readonly ILogger _logger;

    /// <summary>Creates the handler.</summary>
    /// <param name="tokenManager">Where tokens come from.</param>
    /// <param name="options">The settings; <see cref="AnysolaAuthOptions.BaseAddress"/> is the only origin that receives the token.</param>
    /// <param name="logger">Where to log. Default: nowhere.</param>
    public AnysolaBearerTokenHandler(TokenManager tokenManager, AnysolaAuthOptions options, ILogger<AnysolaBearerTokenHandler>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(tokenManager);
        _tokens = tokenManager;
        _settings = AnysolaSettings.From(options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Not supported: tokens may need an asynchronous refresh. Use <see cref="HttpClient.SendAsync(HttpRequestMessage)"/>.</summary>
    /// <exception cref="NotSupportedException">Always, for requests to the Anysola origin.</exception>
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!ShouldAuthenticate(request))
        {
            return base.Send(request, cancellationToken);
        }

        throw new NotSupportedException("AnysolaBearerTokenHandler does not support synchronous HttpClient.Send, because a token refresh is asynchronous. Use SendAsync.");
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!ShouldAuthenticate(request))
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        // The header is taken off again once the answer is in, so the token does not linger on the request (or on
        // response.RequestMessage), and an outer handler's retry of the same request gets the token current then.
        try
        {
            var token = await _tokens.GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Unauthorized)
            {
                return response;
            }

            if (!await RequestReplay.CanReplayAsync(request, cancellationToken).ConfigureAwait(false))
            {
                Log.UnauthorizedNotReplayable(_logger);
                AnysolaAuthDiagnostics.UnauthorizedRetries.Add(1, new KeyValuePair<string, object?>("outcome", "not_replayable"));
                return response;
            }

            Log.UnauthorizedRetry(_logger, TokenSet.Fingerprint(token));
            string fresh;
            try
            {
                fresh = await _tokens.RefreshAccessTokenAsync(token, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                response.Dispose();
            }

            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fresh);
            AnysolaAuthDiagnostics.UnauthorizedRetries.Add(1, new KeyValuePair<string, object?>("outcome", "resent"));
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            request.Headers.Authorization = null;
        }
    }

    // A caller-set Authorization header is the caller's decision and is kept.
    private bool ShouldAuthenticate(HttpRequestMessage request) =>
        request.Headers.Authorization is null && _settings.IsSameOrigin(request.RequestUri);
}
