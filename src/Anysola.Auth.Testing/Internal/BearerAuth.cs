using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Anysola.Auth.Testing.Internal;

/// <summary>Bearer authentication (RFC 6750) and scope checks for userinfo and the API.</summary>
internal static class BearerAuth
{
    /// <summary>Returns the token's session, or answers 401 and returns <see langword="null"/>.</summary>
    public static async Task<Session?> AuthenticateAsync(HttpContext context, RequestInfo info, ServerState state, CancellationToken cancellationToken)
    {
        string header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            // RFC 6750 §3.1: a request without credentials gets no error code.
            info.Outcome = "invalid_token";
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Responses.JsonAsync(context, 401, new JsonObject { ["error"] = "invalid_token", ["error_description"] = "Authentication required." }, cancellationToken)
                .ConfigureAwait(false);
            return null;
        }

        string? problem;
        Session? session = null;
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header[7..].Trim().Length == 0)
        {
            problem = "The Authorization header must be 'Bearer <access token>'.";
        }
        else
        {
            (session, problem) = state.Authenticate(header[7..].Trim());
        }

        if (session is not null)
        {
            return session;
        }

        info.Outcome = "invalid_token";
        context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        await Responses.JsonAsync(context, 401, new JsonObject { ["error"] = "invalid_token", ["error_description"] = problem }, cancellationToken)
            .ConfigureAwait(false);
        return null;
    }

    /// <summary>Answers 403 <c>insufficient_scope</c> unless the session holds <paramref name="scope"/>; returns whether it may go on.</summary>
    public static async Task<bool> RequireScopeAsync(HttpContext context, RequestInfo info, Session session, string scope, CancellationToken cancellationToken)
    {
        if (session.HasScope(scope))
        {
            return true;
        }

        info.Outcome = "insufficient_scope";
        context.Response.Headers.WWWAuthenticate = $"Bearer error=\"insufficient_scope\", scope=\"{scope}\"";
        await Responses.JsonAsync(
            context,
            403,
            new JsonObject
            {
                ["error"] = "insufficient_scope",
                ["error_description"] = $"This token lacks the {scope} scope.",
                ["scope"] = scope,
            },
            cancellationToken).ConfigureAwait(false);
        return false;
    }
}
