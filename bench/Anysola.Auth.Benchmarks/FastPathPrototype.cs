using System.Net;
using System.Net.Http.Headers;

namespace Anysola.Auth.Benchmarks;

/// <summary>
/// Not part of the library: a variant of <see cref="AnysolaBearerTokenHandler"/> with a synchronous fast path, used only
/// by <c>--breakdown</c> to measure what it would save (see docs/benchmarks.md for why the library does not do this). When the token is cached and the inner handler completes
/// synchronously with a non-401, it returns the inner task itself, so no async state machine or Task is created.
/// Its slow path here only awaits (the real handler would keep its refresh-and-resend logic there).
/// </summary>
internal sealed class FastPathPrototypeHandler(TokenManager tokens, Uri origin, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private readonly string _scheme = origin.Scheme;
    private readonly string _host = origin.IdnHost;
    private readonly int _port = origin.Port;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Uri keeps scheme and DNS host in lower case, so ordinal comparison is exact.
        var uri = request.RequestUri;
        if (request.Headers.Authorization is not null || uri is not { IsAbsoluteUri: true } || uri.Port != _port
            || !string.Equals(uri.Scheme, _scheme, StringComparison.Ordinal) || !string.Equals(uri.IdnHost, _host, StringComparison.Ordinal))
        {
            return base.SendAsync(request, cancellationToken);
        }

        var token = tokens.GetAccessTokenAsync(cancellationToken);
        if (!token.IsCompletedSuccessfully)
        {
            return SlowAsync(request, token, cancellationToken);
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Result);
        var sent = base.SendAsync(request, cancellationToken);
        return sent.IsCompletedSuccessfully && sent.Result.StatusCode != HttpStatusCode.Unauthorized ? sent : AfterSendAsync(sent);
    }

    private async Task<HttpResponseMessage> SlowAsync(HttpRequestMessage request, ValueTask<string> token, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await token.ConfigureAwait(false));
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<HttpResponseMessage> AfterSendAsync(Task<HttpResponseMessage> sent) => await sent.ConfigureAwait(false);
}
