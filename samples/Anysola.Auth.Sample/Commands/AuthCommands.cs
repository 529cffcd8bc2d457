using System.CommandLine;
using System.Text.Json;
using Anysola.Auth.Sample.Terminal;

namespace Anysola.Auth.Sample.Commands;

/// <summary><c>login</c>, <c>logout</c>, <c>status</c>, <c>token</c> and <c>whoami</c>.</summary>
internal static class AuthCommands
{
    /// <summary>
    /// What this CLI asks for at login: only what its commands need (least privilege). The server grants those
    /// your role allows, so a token may hold fewer; <c>status</c> shows the difference.
    /// </summary>
    public static readonly string[] DefaultScopes = ["agents:read", "operations:write"];

    /// <summary><c>token</c> hands out tokens that stay valid at least this long, so a script can use them.</summary>
    private static readonly TimeSpan _minimumTokenLifetime = TimeSpan.FromMinutes(1);

    public static Command Login()
    {
        var label = new Option<string?>("--label") { Description = "A name for this machine, shown to workspace admins. Default: the host name.", HelpName = "name" };
        var scopes = new Option<string[]>("--scope") { Description = $"A scope to ask for; repeat for more. Default: {string.Join(' ', DefaultScopes)}", HelpName = "scope" };
        var noBrowser = new Option<bool>("--no-browser") { Description = "Do not open a browser; show the link and code only." };
        var command = new Command("login", "Sign in with your browser (OAuth device flow) and store the tokens.") { label, scopes, noBrowser };
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(
            parseResult,
            async session =>
            {
                var tokens = await DeviceCodePrompt.LoginAsync(session, Ui.Stderr, parseResult.GetValue(noBrowser), cancellationToken);
                var user = await session.Tokens.GetUserInfoAsync(cancellationToken);
                var ui = Ui.Stderr;
                ui.Success($"Signed in to {session.Host} as {ui.Bold(Describe(user))} in workspace {ui.Bold(Workspace(user))}.");
                ui.Detail($"Scopes granted: {string.Join(' ', tokens.Scopes)}");
                var missing = Requested(parseResult.GetValue(scopes)).Except(tokens.Scopes).ToArray();
                if (missing.Length > 0)
                {
                    ui.Notice($"Not granted (your role does not allow them): {string.Join(' ', missing)}");
                }

                ui.Detail($"Tokens stored in {session.TokenFile}{(session.IsLocal ? " (throwaway: deleted when this command exits)" : "")}");
                return ExitCodes.Ok;
            },
            cancellationToken,
            configure: options =>
            {
                options.CliLabel = parseResult.GetValue(label);
                options.Scopes.Clear();
                foreach (var scope in Requested(parseResult.GetValue(scopes)))
                {
                    options.Scopes.Add(scope);
                }
            },
            signIn: false));
        return command;
    }

    public static Command Logout()
    {
        var command = new Command("logout", "Sign out: revoke the session on the server and delete the stored tokens.");
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(
            parseResult,
            async session =>
            {
                if (await session.Tokens.GetCurrentTokensAsync(cancellationToken) is null)
                {
                    Ui.Stderr.Notice($"You were not signed in to {session.Host}.");
                    return ExitCodes.Ok;
                }

                // Revocation failures are logged (see --verbose), not thrown: signing out locally always succeeds.
                await session.Tokens.LogoutAsync(cancellationToken);
                Ui.Stderr.Success($"Signed out of {session.Host}: the session was revoked and the stored tokens deleted.");
                return ExitCodes.Ok;
            },
            cancellationToken));
        return command;
    }

    public static Command Status()
    {
        var json = JsonOutput.Option();
        var command = new Command("status", "Show whether you are signed in, to which workspace, with which scopes, and when the token expires.") { json };
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(
            parseResult,
            async session =>
            {
                if (await session.Tokens.GetCurrentTokensAsync(cancellationToken) is null)
                {
                    if (parseResult.GetValue(json))
                    {
                        JsonOutput.Write(writer => writer.WriteObject(() =>
                        {
                            writer.WriteString("server", session.Server.AbsoluteUri);
                            writer.WriteBoolean("signedIn", false);
                        }));
                    }

                    throw new AnysolaLoginRequiredException();
                }

                // Userinfo first: it refreshes an expired token, so the expiry shown next is the current one.
                var user = await session.Tokens.GetUserInfoAsync(cancellationToken);
                var tokens = await session.Tokens.GetCurrentTokensAsync(cancellationToken) ?? throw new AnysolaLoginRequiredException();
                var missing = DefaultScopes.Except(tokens.Scopes).ToArray();
                if (parseResult.GetValue(json))
                {
                    JsonOutput.Write(writer => writer.WriteObject(() =>
                    {
                        writer.WriteString("server", session.Server.AbsoluteUri);
                        writer.WriteBoolean("signedIn", true);
                        writer.WriteString("user", user.Subject);
                        writer.WriteString("name", user.Name);
                        writer.WriteString("email", user.Email);
                        writer.WriteString("workspace", WorkspaceSlug(user) ?? user.WorkspaceId);
                        writer.WriteString("workspaceName", user.WorkspaceName);
                        writer.WriteString("role", user.Role);
                        writer.WriteStringArray("scopes", tokens.Scopes);
                        writer.WriteStringArray("scopesRequested", DefaultScopes);
                        writer.WriteStringArray("scopesMissing", missing);
                        writer.WriteString("expiresAt", tokens.ExpiresAt);
                        writer.WriteString("tokenFile", session.TokenFile);
                    }));
                    return ExitCodes.Ok;
                }

                var ui = Ui.Stdout;
                var left = tokens.ExpiresAt - session.Time.GetUtcNow();
                ui.Success($"Signed in to {ui.Bold(session.Host)} as {ui.Bold(Describe(user))}");
                ui.Detail($"workspace   {Workspace(user)}, role {user.Role}");
                ui.Detail($"scopes      {string.Join(' ', tokens.Scopes)}");
                if (missing.Length > 0)
                {
                    ui.Detail($"{ui.Yellow("missing")}     {string.Join(' ', missing)} (asked for by `anysola login`, not allowed for your role)");
                }

                ui.Detail($"token       expires {tokens.ExpiresAt.ToLocalTime():HH:mm} (in {Humanize(left)}), renewed automatically; fingerprint {TokenSet.Fingerprint(tokens.AccessToken)}");
                ui.Detail($"stored in   {session.TokenFile}");
                return ExitCodes.Ok;
            },
            cancellationToken));
        return command;
    }

    public static Command Token()
    {
        var command = new Command("token", "Print a valid access token to stdout, refreshing it if needed. For scripts: curl -H \"Authorization: Bearer $(anysola token)\" …");
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(
            parseResult,
            async session =>
            {
                var token = await session.Tokens.GetAccessTokenAsync(cancellationToken);
                var tokens = await session.Tokens.GetCurrentTokensAsync(cancellationToken);
                if (tokens is not null && tokens.ExpiresAt - session.Time.GetUtcNow() < _minimumTokenLifetime)
                {
                    token = await session.Tokens.RefreshAccessTokenAsync(token, cancellationToken);
                }

                // The only place this CLI ever prints a token: stdout, nothing else on the line.
                Console.Out.WriteLine(token);
                return ExitCodes.Ok;
            },
            cancellationToken));
        return command;
    }

    public static Command WhoAmI()
    {
        var json = JsonOutput.Option();
        var command = new Command("whoami", "Show who you are signed in as (the server's userinfo).") { json };
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(
            parseResult,
            async session =>
            {
                var user = await session.Tokens.GetUserInfoAsync(cancellationToken);
                if (parseResult.GetValue(json))
                {
                    JsonOutput.WriteRaw(user.RawJson);
                    return ExitCodes.Ok;
                }

                var ui = Ui.Stdout;
                ui.Line(ui.Bold(Describe(user)));
                ui.Detail($"user        {user.Subject}");
                ui.Detail($"workspace   {Workspace(user)}");
                ui.Detail($"role        {user.Role}");
                ui.Detail($"scopes      {string.Join(' ', user.Scopes)}");
                return ExitCodes.Ok;
            },
            cancellationToken));
        return command;
    }

    public static string Describe(AnysolaUserInfo user) =>
        user.Email is null ? user.Name ?? user.Subject : $"{user.Name ?? user.Subject} <{user.Email}>";

    public static string Workspace(AnysolaUserInfo user) =>
        WorkspaceSlug(user) is { } slug ? $"{user.WorkspaceName} ({slug})" : user.WorkspaceName ?? user.WorkspaceId ?? "unknown";

    public static string Humanize(TimeSpan span) => span switch
    {
        { TotalSeconds: < 0 } => "expired",
        { TotalMinutes: < 1 } => $"{(int)span.TotalSeconds} s",
        { TotalHours: < 1 } => $"{(int)span.TotalMinutes} min",
        _ => $"{(int)span.TotalHours} h {span.Minutes} min",
    };

    /// <summary>The workspace slug is not a modelled field: read it from the raw userinfo, as an app would for any extra field.</summary>
    private static string? WorkspaceSlug(AnysolaUserInfo user)
    {
        using var document = JsonDocument.Parse(user.RawJson);
        return document.RootElement.TryGetProperty("workspace", out var workspace)
            && workspace.ValueKind == JsonValueKind.Object
            && workspace.TryGetProperty("slug", out var slug)
            && slug.ValueKind == JsonValueKind.String
                ? slug.GetString()
                : null;
    }

    /// <summary>The scopes from --scope (repeated, or space- or comma-separated), else <see cref="DefaultScopes"/>.</summary>
    private static string[] Requested(string[]? values)
    {
        var scopes = (values ?? []).SelectMany(value => value.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries)).Distinct().ToArray();
        return scopes.Length > 0 ? scopes : DefaultScopes;
    }
}
