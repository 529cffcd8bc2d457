using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Anysola.Auth.Testing.Internal;

/// <summary>The OAuth endpoints: device authorization (RFC 8628), token (RFC 6749), revocation (RFC 7009) and userinfo.</summary>
internal sealed class OAuthHandlers
{
    public const string ClientId = "anysola-cli";
    public const string DeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";
    public const string RefreshTokenGrant = "refresh_token";

    private readonly ServerState _state;

    public OAuthHandlers(ServerState state) => _state = state;

    public async Task DeviceAsync(HttpContext context, RequestInfo info, RequestBody body, CancellationToken cancellationToken)
    {
        if (await RejectAsync(context, info, body, requireClientId: true, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        IReadOnlyList<string>? scopes = null;
        if (body["scope"] is { } scope)
        {
            scopes = scope.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToArray();
            if (scopes.FirstOrDefault(s => !ScopeCatalog.IsKnown(s)) is { } unknown)
            {
                info.Outcome = "invalid_scope";
                await Responses.OAuthErrorAsync(context, "invalid_scope", $"Unknown scope '{unknown}'.", cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        DeviceAuthorization device;
        try
        {
            device = _state.StartDeviceAuthorization(body["cli_label"] ?? "unnamed CLI", scopes);
        }
        catch (InvalidOperationException ex)
        {
            // Only a misconfigured AutoApproveWorkspace / AutoApproveUser gets here.
            info.Outcome = "server_error";
            await Responses.OAuthErrorAsync(context, "server_error", ex.Message, cancellationToken, 500).ConfigureAwait(false);
            return;
        }

        var verificationUri = new Uri(_state.BaseAddress, "device");
        info.Outcome = "issued";
        await Responses.OAuthAsync(
            context,
            200,
            new JsonObject
            {
                ["device_code"] = device.DeviceCode,
                ["user_code"] = device.UserCode,
                ["verification_uri"] = verificationUri.AbsoluteUri,
                ["verification_uri_complete"] = verificationUri.AbsoluteUri + "?user_code=" + device.UserCode,
                ["expires_in"] = Responses.Seconds(device.ExpiresAt - device.CreatedAt),
                ["interval"] = Responses.Seconds(device.Interval),
            },
            cancellationToken).ConfigureAwait(false);
    }

    public async Task TokenAsync(HttpContext context, RequestInfo info, RequestBody body, CancellationToken cancellationToken)
    {
        if (await RejectAsync(context, info, body, requireClientId: false, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        TokenResult result;
        switch (body["grant_type"])
        {
            case null:
                await FailAsync(context, info, "invalid_request", "grant_type is required.", cancellationToken).ConfigureAwait(false);
                return;
            case DeviceCodeGrant when body["device_code"] is { } deviceCode:
                result = _state.PollDeviceCode(deviceCode);
                break;
            case DeviceCodeGrant:
                await FailAsync(context, info, "invalid_request", "device_code is required.", cancellationToken).ConfigureAwait(false);
                return;
            case RefreshTokenGrant when body["refresh_token"] is { } refreshToken:
                result = _state.Refresh(refreshToken);
                break;
            case RefreshTokenGrant:
                await FailAsync(context, info, "invalid_request", "refresh_token is required.", cancellationToken).ConfigureAwait(false);
                return;
            default:
                await FailAsync(context, info, "unsupported_grant_type", "Use the device_code or refresh_token grant.", cancellationToken).ConfigureAwait(false);
                return;
        }

        info.Outcome = result.Outcome;
        if (result.Error is { } error)
        {
            await Responses.OAuthErrorAsync(context, error, result.ErrorDescription ?? error, cancellationToken).ConfigureAwait(false);
            return;
        }

        await Responses.OAuthAsync(
            context,
            200,
            new JsonObject
            {
                ["access_token"] = result.AccessToken,
                ["token_type"] = "Bearer",
                ["expires_in"] = Responses.Seconds(result.ExpiresIn),
                ["refresh_token"] = result.RefreshToken,
                ["scope"] = result.Scope,
            },
            cancellationToken).ConfigureAwait(false);
    }

    public async Task RevokeAsync(HttpContext context, RequestInfo info, RequestBody body, CancellationToken cancellationToken)
    {
        if (await RejectAsync(context, info, body, requireClientId: false, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        if (body["token"] is not { } token)
        {
            await FailAsync(context, info, "invalid_request", "token is required.", cancellationToken).ConfigureAwait(false);
            return;
        }

        // RFC 7009 §2.2: 200 whether or not the token was known; the hint only speeds up a real server's lookup.
        info.Outcome = _state.Revoke(token);
        context.Response.StatusCode = 200;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = 0;
    }

    public async Task UserInfoAsync(HttpContext context, RequestInfo info, CancellationToken cancellationToken)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsPost(context.Request.Method))
        {
            await MethodNotAllowedAsync(context, info, "GET", cancellationToken).ConfigureAwait(false);
            return;
        }

        var session = await BearerAuth.AuthenticateAsync(context, info, _state, cancellationToken).ConfigureAwait(false);
        if (session is null)
        {
            return;
        }

        info.Outcome = "ok";
        await Responses.JsonAsync(
            context,
            200,
            new JsonObject
            {
                ["sub"] = session.User.Id,
                ["name"] = session.User.Name,
                ["email"] = session.User.Email,
                ["workspace"] = new JsonObject
                {
                    ["id"] = session.Workspace.Id,
                    ["name"] = _state.Locked(() => session.Workspace.Name),
                    ["slug"] = session.Workspace.Slug,
                },
                ["role"] = session.Role,
                ["scope"] = session.ScopeString,
            },
            cancellationToken).ConfigureAwait(false);
    }

    internal static async Task MethodNotAllowedAsync(HttpContext context, RequestInfo info, string allow, CancellationToken cancellationToken)
    {
        info.Outcome = "method_not_allowed";
        context.Response.Headers.Allow = allow;
        await Responses.JsonAsync(context, 405, new JsonObject { ["error"] = "Method not allowed" }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Answers the request with an error when its method, body or client is wrong; returns whether it did.</summary>
    private static async Task<bool> RejectAsync(HttpContext context, RequestInfo info, RequestBody body, bool requireClientId, CancellationToken cancellationToken)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            await MethodNotAllowedAsync(context, info, "POST", cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (body.Problem is { } problem)
        {
            await FailAsync(context, info, "invalid_request", problem, cancellationToken).ConfigureAwait(false);
            return true;
        }

        var clientId = body["client_id"];
        if (clientId is null && requireClientId)
        {
            await FailAsync(context, info, "invalid_request", "client_id is required.", cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (clientId is not null && clientId != ClientId)
        {
            await FailAsync(context, info, "invalid_client", $"Unknown client; the CLI's client_id is '{ClientId}'.", cancellationToken).ConfigureAwait(false);
            return true;
        }

        return false;
    }

    private static Task FailAsync(HttpContext context, RequestInfo info, string error, string description, CancellationToken cancellationToken)
    {
        info.Outcome = error;
        return Responses.OAuthErrorAsync(context, error, description, cancellationToken);
    }
}
