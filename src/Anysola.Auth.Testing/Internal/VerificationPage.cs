using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Anysola.Auth.Testing.Internal;

/// <summary>
/// The page behind <c>verification_uri</c>: enter a code, review the request, pick a workspace, authorize or deny.
/// Self-contained HTML with inline CSS and no script, acting as <see cref="AnysolaTestServerOptions.AutoApproveUser"/>.
/// </summary>
internal sealed class VerificationPage
{
    private const string Styles = """
        *{box-sizing:border-box}
        body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:24px;
          font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
          color:#1f2430;background:linear-gradient(135deg,#eef1ff 0%,#f7f4ff 50%,#eefaf6 100%)}
        main{width:100%;max-width:440px;background:#fff;border-radius:16px;padding:32px;
          box-shadow:0 1px 2px rgba(20,24,40,.06),0 12px 32px rgba(20,24,40,.10)}
        .brand{display:flex;align-items:center;gap:10px;font-weight:700;font-size:18px;margin-bottom:24px}
        .logo{width:32px;height:32px;border-radius:9px;background:linear-gradient(135deg,#5b5bf7,#8b5cf6);
          color:#fff;display:flex;align-items:center;justify-content:center;font-size:17px}
        h1{font-size:21px;margin:0 0 6px}
        p{margin:0 0 16px;color:#4a5163}
        .muted{color:#6b7285;font-size:13px}
        .code{font:600 30px/1 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;letter-spacing:.14em;text-align:center;
          padding:18px 12px;margin:0 0 18px;border:1px dashed #b9bdf7;border-radius:12px;background:#f6f6ff;color:#2b2ba8}
        .meta{display:grid;grid-template-columns:auto 1fr;gap:4px 14px;margin:0 0 18px;font-size:14px}
        .meta dt{color:#6b7285}.meta dd{margin:0;font-weight:500}
        label{display:block;font-weight:600;font-size:14px;margin:0 0 6px}
        select,input[type=text]{width:100%;padding:10px 12px;border:1px solid #cfd3de;border-radius:9px;font:inherit;
          background:#fff;margin:0 0 18px}
        input[type=text]{font:600 20px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;letter-spacing:.12em;
          text-transform:uppercase;text-align:center}
        select:focus,input:focus{outline:2px solid #8b8bf9;outline-offset:1px;border-color:#8b8bf9}
        ul.scopes{list-style:none;padding:0;margin:0 0 20px;border:1px solid #eceef3;border-radius:10px}
        ul.scopes li{padding:8px 12px;border-top:1px solid #eceef3;font-size:14px}
        ul.scopes li:first-child{border-top:0}
        ul.scopes code{font:12px ui-monospace,Menlo,Consolas,monospace;color:#6b7285;margin-left:6px}
        .actions{display:flex;gap:10px}
        button{flex:1;padding:11px 16px;border-radius:9px;font:600 15px inherit;font-family:inherit;cursor:pointer;border:1px solid transparent}
        #authorize,.primary{background:#4f46e5;color:#fff}
        #authorize:hover,.primary:hover{background:#4338ca}
        #deny{background:#fff;color:#b42318;border-color:#f0c4c0}
        #deny:hover{background:#fff5f4}
        .alert{padding:10px 12px;border-radius:9px;background:#fff4e5;color:#8a4b00;margin:0 0 18px;font-size:14px}
        .result{text-align:center}
        .badge{width:56px;height:56px;border-radius:50%;display:flex;align-items:center;justify-content:center;
          margin:0 auto 14px;font-size:28px;font-weight:700}
        .ok{background:#e7f8ef;color:#12805c}.no{background:#fdeceb;color:#b42318}
        footer{margin-top:22px;font-size:12px;color:#8a90a2;text-align:center}
        """;

    private static readonly Dictionary<string, string> s_scopeLabels = new(StringComparer.Ordinal)
    {
        [ScopeCatalog.AgentsRead] = "List and view agents",
        [ScopeCatalog.AgentsWrite] = "Create, update and delete agents",
        [ScopeCatalog.OperationsWrite] = "Run agents",
        [ScopeCatalog.WorkspaceRead] = "View workspace settings, usage and activity",
        [ScopeCatalog.WorkspaceWrite] = "Change workspace settings",
        [ScopeCatalog.IntegrationsRead] = "List integrations",
        [ScopeCatalog.IntegrationsWrite] = "Connect and disconnect integrations",
        [ScopeCatalog.AuditRead] = "Read the audit trail",
    };

    private readonly ServerState _state;
    private readonly AnysolaTestServerOptions _options;

    public VerificationPage(ServerState state, AnysolaTestServerOptions options)
    {
        _state = state;
        _options = options;
    }

    public async Task HandleAsync(HttpContext context, RequestInfo info, CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method))
        {
            var typed = request.Query["user_code"].ToString();
            var (status, html) = typed.Length == 0 ? (200, EnterCodePage(null, null)) : ReviewPage(typed);
            info.Outcome = status == 200 ? "ok" : "not_found";
            await Responses.HtmlAsync(context, status, html, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            await OAuthHandlers.MethodNotAllowedAsync(context, info, "GET, POST", cancellationToken).ConfigureAwait(false);
            return;
        }

        var form = await RequestBody.ReadAsync(request, cancellationToken).ConfigureAwait(false);
        var userCode = form["user_code"] ?? string.Empty;
        var decision = form["decision"];
        string page;
        try
        {
            if (decision == "deny")
            {
                _state.Deny(userCode);
                info.Outcome = "denied";
                page = ResultPage(approved: false, workspaceName: null);
            }
            else if (decision == "authorize")
            {
                var workspace = form["workspace"] ?? string.Empty;
                _state.Approve(userCode, workspace, _options.AutoApproveUser);
                info.Outcome = "approved";
                page = ResultPage(approved: true, workspaceName: _state.FindWorkspace(workspace)?.Name ?? workspace);
            }
            else
            {
                info.Outcome = "invalid_request";
                await Responses.HtmlAsync(context, 400, EnterCodePage(userCode, "Choose Authorize CLI or Deny."), cancellationToken).ConfigureAwait(false);
                return;
            }
        }
        catch (InvalidOperationException ex)
        {
            info.Outcome = "invalid_request";
            await Responses.HtmlAsync(context, 400, EnterCodePage(userCode, ex.Message), cancellationToken).ConfigureAwait(false);
            return;
        }

        await Responses.HtmlAsync(context, 200, page, cancellationToken).ConfigureAwait(false);
    }

    private (int Status, string Html) ReviewPage(string typed)
    {
        var (device, problem) = _state.DescribeForPage(typed);
        if (device is null)
        {
            return (404, EnterCodePage(typed, problem));
        }

        var user = _state.FindUser(_options.AutoApproveUser);
        var body = new StringBuilder();
        body.Append("<h1>Authorize a command-line tool</h1>");
        body.Append("<p>Confirm that this code matches the one shown in your terminal.</p>");
        body.Append("<div class=\"code\" id=\"user-code\">").Append(E(device.UserCode)).Append("</div>");
        body.Append("<dl class=\"meta\"><dt>Device</dt><dd id=\"cli-label\">").Append(E(device.CliLabel)).Append("</dd>");
        if (user is not null)
        {
            body.Append("<dt>Signed in as</dt><dd>").Append(E(user.Name)).Append(" &middot; ").Append(E(user.Email)).Append("</dd>");
        }

        body.Append("</dl>");
        body.Append("<form method=\"post\" action=\"/device\">");
        body.Append("<input type=\"hidden\" name=\"user_code\" value=\"").Append(E(device.UserCode)).Append("\">");
        body.Append("<label for=\"workspace\">Workspace</label><select id=\"workspace\" name=\"workspace\">");
        foreach (var (slug, role) in user?.Roles ?? new Dictionary<string, string>())
        {
            var name = _state.Locked(() => _state.FindWorkspace(slug)?.Name ?? slug);
            body.Append("<option value=\"").Append(E(slug)).Append("\">").Append(E(name)).Append(" (").Append(E(role)).Append(")</option>");
        }

        body.Append("</select>");
        body.Append("<label>It asks to</label><ul class=\"scopes\">");
        var scopes = device.RequestedScopes ?? ScopeCatalog.Grant("admin", null);
        foreach (var scope in scopes)
        {
            body.Append("<li>").Append(E(s_scopeLabels.GetValueOrDefault(scope, scope))).Append("<code>").Append(E(scope)).Append("</code></li>");
        }

        body.Append("</ul>");
        body.Append("<p class=\"muted\">Your role in the workspace you pick limits what the tool can do.</p>");
        body.Append("<div class=\"actions\">");
        body.Append("<button type=\"submit\" id=\"deny\" name=\"decision\" value=\"deny\">Deny</button>");
        body.Append("<button type=\"submit\" id=\"authorize\" name=\"decision\" value=\"authorize\">Authorize CLI</button>");
        body.Append("</div></form>");
        body.Append("<footer>Only authorize a login you started yourself.</footer>");
        return (200, Layout("Authorize CLI", body.ToString()));
    }

    private static string EnterCodePage(string? typed, string? problem)
    {
        var body = new StringBuilder();
        body.Append("<h1>Connect a device</h1>");
        body.Append("<p>Enter the code shown in your terminal.</p>");
        if (problem is not null)
        {
            body.Append("<div class=\"alert\" role=\"alert\">").Append(E(problem)).Append("</div>");
        }

        body.Append("<form method=\"get\" action=\"/device\">");
        body.Append("<label for=\"user_code\">Code</label>");
        body.Append("<input type=\"text\" id=\"user_code\" name=\"user_code\" placeholder=\"XXXX-XXXX\" autocomplete=\"off\" autofocus spellcheck=\"false\" value=\"")
            .Append(E(typed ?? string.Empty)).Append("\">");
        body.Append("<div class=\"actions\"><button type=\"submit\" id=\"continue\" class=\"primary\">Continue</button></div>");
        body.Append("</form>");
        return Layout("Connect a device", body.ToString());
    }

    private static string ResultPage(bool approved, string? workspaceName)
    {
        var body = new StringBuilder("<div class=\"result\">");
        if (approved)
        {
            body.Append("<div class=\"badge ok\">&#10003;</div><h1 id=\"result\">CLI authorized</h1>");
            body.Append("<p>The command-line tool can now use <b>").Append(E(workspaceName ?? string.Empty))
                .Append("</b>. You can close this window and return to your terminal.</p>");
        }
        else
        {
            body.Append("<div class=\"badge no\">&#10005;</div><h1 id=\"result\">Request denied</h1>");
            body.Append("<p>The command-line tool was not given access. You can close this window.</p>");
        }

        body.Append("</div>");
        return Layout(approved ? "CLI authorized" : "Request denied", body.ToString());
    }

    private static string Layout(string title, string body) =>
        $"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{E(title)} · Anysola</title>
        <style>{Styles}</style>
        </head>
        <body>
        <main>
        <div class="brand"><div class="logo">A</div>Anysola</div>
        {body}
        </main>
        </body>
        </html>
        """;

    private static string E(string value) => WebUtility.HtmlEncode(value);
}
