using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Anysola.Auth.Testing.Internal;

/// <summary>The Anysola API under <c>/api/</c>: agents, runs, workspace settings, integrations and audit.</summary>
internal sealed class ApiHandlers
{
    private readonly ServerState _state;

    public ApiHandlers(ServerState state) => _state = state;

    public async Task HandleAsync(HttpContext context, RequestInfo info, CancellationToken cancellationToken)
    {
        var segments = (context.Request.Path.Value ?? "/")
            .Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Skip(1)
            .Select(Uri.UnescapeDataString)
            .ToArray();
        var method = context.Request.Method;

        var route = Match(segments, method);
        if (route is null)
        {
            info.Outcome = "not_found";
            await Responses.JsonAsync(context, 404, Error("Not found"), cancellationToken).ConfigureAwait(false);
            return;
        }

        var (allow, handler) = route.Value;
        if (handler is null)
        {
            await OAuthHandlers.MethodNotAllowedAsync(context, info, allow, cancellationToken).ConfigureAwait(false);
            return;
        }

        var session = await BearerAuth.AuthenticateAsync(context, info, _state, cancellationToken).ConfigureAwait(false);
        if (session is null)
        {
            return;
        }

        await handler(new ApiCall(context, info, session, segments, cancellationToken)).ConfigureAwait(false);
    }

    private (string Allow, Func<ApiCall, Task>? Handler)? Match(string[] segments, string method)
    {
        static Func<ApiCall, Task>? Pick(string method, params (string Method, Func<ApiCall, Task> Handler)[] options) =>
            options.FirstOrDefault(o => string.Equals(o.Method, method, StringComparison.OrdinalIgnoreCase)).Handler;

        static string Allow(params string[] methods) => string.Join(", ", methods);

        return segments switch
        {
            ["agents"] => (Allow("GET", "POST"), Pick(method, ("GET", ListAgentsAsync), ("POST", CreateAgentAsync))),
            ["agents", _] => (Allow("GET", "PATCH", "DELETE"), Pick(method, ("GET", GetAgentAsync), ("PATCH", UpdateAgentAsync), ("DELETE", DeleteAgentAsync))),
            ["agents", _, "run"] => (Allow("POST"), Pick(method, ("POST", RunAgentAsync))),
            ["workspace"] => (Allow("GET", "PATCH"), Pick(method, ("GET", GetWorkspaceAsync), ("PATCH", UpdateWorkspaceAsync))),
            ["integrations"] => (Allow("GET"), Pick(method, ("GET", ListIntegrationsAsync))),
            ["integrations", _] => (Allow("POST", "DELETE"), Pick(method, ("POST", call => SetIntegrationAsync(call, connect: true)), ("DELETE", call => SetIntegrationAsync(call, connect: false)))),
            ["audit"] => (Allow("GET"), Pick(method, ("GET", ListAuditAsync))),
            ["api-keys", ..] => (method, call => BrowserOnlyAsync(call, "API keys can only be created in the browser")),
            ["invites", ..] => (method, call => BrowserOnlyAsync(call, "Invites can only be sent from the browser")),
            _ => null,
        };
    }

    private async Task ListAgentsAsync(ApiCall call)
    {
        if (!await call.RequireAsync(ScopeCatalog.AgentsRead).ConfigureAwait(false))
        {
            return;
        }

        var agents = _state.Locked(() => new JsonArray([.. call.Session.Workspace.Agents.Select(ToJson)]));
        await call.OkAsync(new JsonObject { ["agents"] = agents }).ConfigureAwait(false);
    }

    private async Task GetAgentAsync(ApiCall call)
    {
        if (!await call.RequireAsync(ScopeCatalog.AgentsRead).ConfigureAwait(false))
        {
            return;
        }

        var agent = _state.Locked(() => FindAgent(call) is { } found ? ToJson(found) : null);
        await (agent is null ? call.NotFoundAsync("Agent not found") : call.OkAsync(new JsonObject { ["agent"] = agent })).ConfigureAwait(false);
    }

    private async Task CreateAgentAsync(ApiCall call)
    {
        if (!await call.RequireAsync(ScopeCatalog.AgentsWrite).ConfigureAwait(false))
        {
            return;
        }

        var body = await call.ReadBodyAsync().ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        var name = body["name"]?.Trim();
        var status = body["status"] ?? "active";
        if (string.IsNullOrEmpty(name) || name.Length > 100)
        {
            await call.BadRequestAsync("name is required (at most 100 characters)").ConfigureAwait(false);
            return;
        }

        if (status is not ("active" or "paused"))
        {
            await call.BadRequestAsync("status must be 'active' or 'paused'").ConfigureAwait(false);
            return;
        }

        var created = _state.Locked(() =>
        {
            var agent = new Agent { Id = Secrets.Id("agt_"), Name = name, Status = status, CreatedAt = _state.Now };
            call.Session.Workspace.Agents.Add(agent);
            _state.AddAuditLocked(call.Session.Workspace, call.Session.User.Name, "agent.created", agent.Id);
            return ToJson(agent);
        });
        call.Info.Outcome = "created";
        await call.JsonAsync(201, new JsonObject { ["agent"] = created }).ConfigureAwait(false);
    }

    private async Task UpdateAgentAsync(ApiCall call)
    {
        if (!await call.RequireAsync(ScopeCatalog.AgentsWrite).ConfigureAwait(false))
        {
            return;
        }

        var body = await call.ReadBodyAsync().ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        var name = body["name"]?.Trim();
        var status = body["status"];
        if (name is { Length: 0 or > 100 })
        {
            await call.BadRequestAsync("name must have 1 to 100 characters").ConfigureAwait(false);
            return;
        }

        if (status is not (null or "active" or "paused"))
        {
            await call.BadRequestAsync("status must be 'active' or 'paused'").ConfigureAwait(false);
            return;
        }

        var updated = _state.Locked(() =>
        {
            if (FindAgent(call) is not { } agent)
            {
                return null;
            }

            agent.Name = name ?? agent.Name;
            agent.Status = status ?? agent.Status;
            _state.AddAuditLocked(call.Session.Workspace, call.Session.User.Name, "agent.updated", agent.Id);
            return ToJson(agent);
        });
        await (updated is null ? call.NotFoundAsync("Agent not found") : call.OkAsync(new JsonObject { ["agent"] = updated })).ConfigureAwait(false);
    }

    private async Task DeleteAgentAsync(ApiCall call)
    {
        if (!await call.RequireAsync(ScopeCatalog.AgentsWrite).ConfigureAwait(false))
        {
            return;
        }

        var deleted = _state.Locked(() =>
        {
            if (FindAgent(call) is not { } agent)
            {
                return false;
            }

            call.Session.Workspace.Agents.Remove(agent);
            _state.AddAuditLocked(call.Session.Workspace, call.Session.User.Name, "agent.deleted", agent.Id);
            return true;
        });
        if (!deleted)
        {
            await call.NotFoundAsync("Agent not found").ConfigureAwait(false);
            return;
        }

        call.Info.Outcome = "deleted";
        call.Context.Response.StatusCode = 204;
    }

    private async Task RunAgentAsync(ApiCall call)
    {
        if (!await call.RequireAsync(ScopeCatalog.OperationsWrite).ConfigureAwait(false))
        {
            return;
        }

        var body = await call.ReadBodyAsync().ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        if (!_state.Locked(() => FindAgent(call) is not null))
        {
            await call.NotFoundAsync("Agent not found").ConfigureAwait(false);
            return;
        }

        if (_state.TryCountRun(call.Session) is { } wait)
        {
            call.Info.Outcome = "rate_limited";
            var retryAfter = Responses.RetryAfter(wait);
            call.Context.Response.Headers.RetryAfter = retryAfter;
            await call.JsonAsync(429, Error($"Too many agent runs; retry after {retryAfter} seconds")).ConfigureAwait(false);
            return;
        }

        var action = body["action"] ?? "run";
        var status = body["status"] ?? "queued";
        var operation = _state.Locked(() =>
        {
            var workspace = call.Session.Workspace;
            workspace.OperationCount++;
            _state.AddAuditLocked(workspace, call.Session.User.Name, "agent.run", call.Segments[1]);
            return new JsonObject
            {
                ["id"] = Secrets.Id("op_"),
                ["createdAt"] = Responses.Timestamp(_state.Now),
                ["action"] = action,
                ["status"] = status,
            };
        });
        call.Info.Outcome = "created";
        await call.JsonAsync(201, new JsonObject { ["operation"] = operation }).ConfigureAwait(false);
    }

    private async Task GetWorkspaceAsync(ApiCall call)
    {
        if (await call.RequireAsync(ScopeCatalog.WorkspaceRead).ConfigureAwait(false))
        {
            await call.OkAsync(_state.Locked(() => WorkspaceJson(call.Session))).ConfigureAwait(false);
        }
    }

    private async Task UpdateWorkspaceAsync(ApiCall call)
    {
        if (!await call.RequireAsync(ScopeCatalog.WorkspaceWrite).ConfigureAwait(false))
        {
            return;
        }

        var body = await call.ReadBodyAsync().ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        var name = body["name"]?.Trim();
        if (name is { Length: 0 or > 100 })
        {
            await call.BadRequestAsync("name must have 1 to 100 characters").ConfigureAwait(false);
            return;
        }

        var result = _state.Locked(() =>
        {
            var workspace = call.Session.Workspace;
            workspace.Name = name ?? workspace.Name;
            workspace.Timezone = body["timezone"] ?? workspace.Timezone;
            _state.AddAuditLocked(workspace, call.Session.User.Name, "workspace.updated", workspace.Slug);
            return WorkspaceJson(call.Session);
        });
        await call.OkAsync(result).ConfigureAwait(false);
    }

    private async Task ListIntegrationsAsync(ApiCall call)
    {
        if (!await call.RequireAsync(ScopeCatalog.IntegrationsRead).ConfigureAwait(false))
        {
            return;
        }

        var integrations = _state.Locked(() => new JsonArray([.. call.Session.Workspace.Integrations.Select(ToJson)]));
        await call.OkAsync(new JsonObject { ["integrations"] = integrations }).ConfigureAwait(false);
    }

    private async Task SetIntegrationAsync(ApiCall call, bool connect)
    {
        if (!await call.RequireAsync(ScopeCatalog.IntegrationsWrite).ConfigureAwait(false))
        {
            return;
        }

        var result = _state.Locked(() =>
        {
            var workspace = call.Session.Workspace;
            var integration = workspace.Integrations.FirstOrDefault(i => string.Equals(i.Id, call.Segments[1], StringComparison.OrdinalIgnoreCase));
            if (integration is null)
            {
                return null;
            }

            integration.Connected = connect;
            _state.AddAuditLocked(workspace, call.Session.User.Name, connect ? "integration.connected" : "integration.disconnected", integration.Id);
            return ToJson(integration);
        });
        await (result is null ? call.NotFoundAsync("Integration not found") : call.OkAsync(new JsonObject { ["integration"] = result })).ConfigureAwait(false);
    }

    private async Task ListAuditAsync(ApiCall call)
    {
        if (!await call.RequireAsync(ScopeCatalog.AuditRead).ConfigureAwait(false))
        {
            return;
        }

        var events = _state.Locked(() => new JsonArray([.. call.Session.Workspace.Audit.AsEnumerable().Reverse().Select(e => (JsonNode)new JsonObject
        {
            ["id"] = e.Id,
            ["time"] = Responses.Timestamp(e.Time),
            ["actor"] = e.Actor,
            ["action"] = e.Action,
            ["target"] = e.Target,
        })]));
        await call.OkAsync(new JsonObject { ["events"] = events }).ConfigureAwait(false);
    }

    private static Task BrowserOnlyAsync(ApiCall call, string message)
    {
        call.Info.Outcome = "forbidden";
        return call.JsonAsync(403, Error(message));
    }

    private static Agent? FindAgent(ApiCall call) =>
        call.Session.Workspace.Agents.FirstOrDefault(a => a.Id == call.Segments[1]);

    private static JsonObject WorkspaceJson(Session session) => new()
    {
        ["workspace"] = new JsonObject
        {
            ["id"] = session.Workspace.Id,
            ["name"] = session.Workspace.Name,
            ["slug"] = session.Workspace.Slug,
            ["plan"] = session.Workspace.Plan,
            ["timezone"] = session.Workspace.Timezone,
        },
        ["usage"] = new JsonObject
        {
            ["agents"] = session.Workspace.Agents.Count,
            ["operations"] = session.Workspace.OperationCount,
        },
        ["role"] = session.Role,
    };

    private static JsonNode ToJson(Agent agent) => new JsonObject
    {
        ["id"] = agent.Id,
        ["name"] = agent.Name,
        ["status"] = agent.Status,
        ["createdAt"] = Responses.Timestamp(agent.CreatedAt),
    };

    private static JsonNode ToJson(Integration integration) => new JsonObject
    {
        ["id"] = integration.Id,
        ["name"] = integration.Name,
        ["connected"] = integration.Connected,
    };

    private static JsonObject Error(string message) => new() { ["error"] = message };

    /// <summary>One authenticated API request.</summary>
    private sealed record ApiCall(HttpContext Context, RequestInfo Info, Session Session, string[] Segments, CancellationToken CancellationToken)
    {
        public Task<bool> RequireAsync(string scope) =>
            BearerAuth.RequireScopeAsync(Context, Info, Session, scope, CancellationToken);

        public Task JsonAsync(int statusCode, JsonNode body) => Responses.JsonAsync(Context, statusCode, body, CancellationToken);

        public Task OkAsync(JsonNode body)
        {
            Info.Outcome = "ok";
            return JsonAsync(200, body);
        }

        public Task NotFoundAsync(string message)
        {
            Info.Outcome = "not_found";
            return JsonAsync(404, Error(message));
        }

        public Task BadRequestAsync(string message)
        {
            Info.Outcome = "invalid_request";
            return JsonAsync(400, Error(message));
        }

        /// <summary>Reads a JSON or form body; answers 400 and returns <see langword="null"/> when it is malformed.</summary>
        public async Task<RequestBody?> ReadBodyAsync()
        {
            var body = await RequestBody.ReadAsync(Context.Request, CancellationToken).ConfigureAwait(false);
            if (body.Problem is { } problem)
            {
                await BadRequestAsync(problem).ConfigureAwait(false);
                return null;
            }

            return body;
        }
    }
}
