using Microsoft.AspNetCore.Http;

namespace Anysola.Auth.Testing.Internal;

/// <summary>Routes each request, applies injected faults, and records it in the journal.</summary>
internal sealed class RequestDispatcher
{
    private readonly AnysolaTestServerOptions _options;
    private readonly RequestJournal _journal;
    private readonly AnysolaFaultInjector _faults;
    private readonly CancellationToken _stopping;
    private readonly OAuthHandlers _oauth;
    private readonly ApiHandlers _api;
    private readonly VerificationPage _page;

    public RequestDispatcher(
        AnysolaTestServerOptions options,
        ServerState state,
        RequestJournal journal,
        AnysolaFaultInjector faults,
        CancellationToken stopping)
    {
        _options = options;
        _journal = journal;
        _faults = faults;
        _stopping = stopping;
        _oauth = new OAuthHandlers(state);
        _api = new ApiHandlers(state);
        _page = new VerificationPage(state, options);
    }

    public async Task HandleAsync(HttpContext context)
    {
        var arrived = _options.TimeProvider.GetUtcNow();
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var info = new RequestInfo { Endpoint = Classify(path) };
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping);
        var cancellationToken = linked.Token;
        var recorded = 0;
        info.Record = () =>
        {
            if (Interlocked.Exchange(ref recorded, 1) == 0)
            {
                _journal.Add(new AnysolaJournalEntry(
                    arrived,
                    request.Method,
                    path,
                    info.Endpoint,
                    info.GrantType,
                    request.ContentType,
                    info.Dropped ? 0 : context.Response.StatusCode,
                    info.Outcome));
            }
        };
        context.Response.OnStarting(() =>
        {
            info.Record();
            return Task.CompletedTask;
        });

        try
        {
            // OAuth bodies are read before any fault applies, so the journal knows the grant type of a faulted request.
            var body = RequestBody.Empty;
            if (HttpMethods.IsPost(request.Method) && info.Endpoint is AnysolaTestEndpoints.Device or AnysolaTestEndpoints.Token or AnysolaTestEndpoints.Revoke)
            {
                body = await RequestBody.ReadAsync(request, cancellationToken).ConfigureAwait(false);
                if (info.Endpoint == AnysolaTestEndpoints.Token)
                {
                    info.GrantType = body["grant_type"];
                }
            }

            var fault = info.Endpoint == AnysolaTestEndpoints.Other ? null : _faults.TryTake(info.Endpoint);
            if (fault is null)
            {
                await RouteAsync(context, info, body, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await FaultResponder.ApplyAsync(
                    context,
                    fault,
                    info,
                    () => RouteAsync(context, info, body, cancellationToken),
                    cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && cancellationToken.IsCancellationRequested)
        {
            // The client went away or the server is stopping: nothing left to answer.
            info.Outcome = info.Outcome.StartsWith("fault:", StringComparison.Ordinal) ? info.Outcome : "aborted";
            info.Dropped = !context.Response.HasStarted;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            info.Outcome = "server_error:" + ex.GetType().Name;
            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                await Responses.OAuthErrorAsync(context, "server_error", "The test server failed: " + ex.Message, CancellationToken.None, 500)
                    .ConfigureAwait(false);
            }
        }
        finally
        {
            // Requests whose response never started (dropped, aborted, or empty answers that start only now).
            info.Record();
        }
    }

    private static string Classify(string path)
    {
        if (Is(path, "/api/oauth/device"))
        {
            return AnysolaTestEndpoints.Device;
        }

        if (Is(path, "/api/oauth/token"))
        {
            return AnysolaTestEndpoints.Token;
        }

        if (Is(path, "/api/oauth/revoke"))
        {
            return AnysolaTestEndpoints.Revoke;
        }

        if (Is(path, "/api/oauth/userinfo"))
        {
            return AnysolaTestEndpoints.UserInfo;
        }

        if (path.StartsWith("/api/", StringComparison.OrdinalIgnoreCase) || Is(path, "/api"))
        {
            return AnysolaTestEndpoints.Api;
        }

        return Is(path, "/device") || path == "/" ? AnysolaTestEndpoints.Page : AnysolaTestEndpoints.Other;
    }

    private static bool Is(string path, string expected) =>
        path.Equals(expected, StringComparison.OrdinalIgnoreCase)
        || (path.Length == expected.Length + 1 && path.EndsWith('/') && path.StartsWith(expected, StringComparison.OrdinalIgnoreCase));

    private Task RouteAsync(HttpContext context, RequestInfo info, RequestBody body, CancellationToken cancellationToken) => info.Endpoint switch
    {
        AnysolaTestEndpoints.Device => _oauth.DeviceAsync(context, info, body, cancellationToken),
        AnysolaTestEndpoints.Token => _oauth.TokenAsync(context, info, body, cancellationToken),
        AnysolaTestEndpoints.Revoke => _oauth.RevokeAsync(context, info, body, cancellationToken),
        AnysolaTestEndpoints.UserInfo => _oauth.UserInfoAsync(context, info, cancellationToken),
        AnysolaTestEndpoints.Api => _api.HandleAsync(context, info, cancellationToken),
        AnysolaTestEndpoints.Page => _page.HandleAsync(context, info, cancellationToken),
        _ => NotFoundAsync(context, info, cancellationToken),
    };

    private static Task NotFoundAsync(HttpContext context, RequestInfo info, CancellationToken cancellationToken)
    {
        info.Outcome = "not_found";
        return Responses.JsonAsync(context, 404, new System.Text.Json.Nodes.JsonObject { ["error"] = "Not found" }, cancellationToken);
    }
}
