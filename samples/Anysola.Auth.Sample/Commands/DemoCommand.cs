using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anysola.Auth.Sample.Terminal;

namespace Anysola.Auth.Sample.Commands;

/// <summary>
/// <c>anysola demo</c>: the whole story in a few seconds with no set-up, against a local server in this process
/// and a throwaway config directory. It prints fingerprints of tokens, never the tokens.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Run the whole story against a local server: login, API calls, refresh, logout. No set-up needed.");
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(
            parseResult,
            session => RunAsync(session, Ui.Stdout, cancellationToken),
            cancellationToken,
            local: true,
            signIn: false));
        return command;
    }

    private static async Task<int> RunAsync(AnysolaSession session, Ui ui, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var server = session.LocalServer!;
        ui.Line(ui.Bold("Anysola.Auth demo: sign in, call the API, refresh, sign out."));
        ui.Detail($"server   {session.Server} (local, in this process; approves every login by itself)");
        ui.Detail($"config   {Path.GetDirectoryName(session.TokenFile)} (throwaway, deleted at the end)");

        Step(ui, 1, "Log in with the device flow", "TokenManager.LoginAsync");
        var tokens = await DeviceCodePrompt.LoginAsync(session, ui, noBrowser: true, cancellationToken);
        ui.Success($"Tokens stored in {session.TokenFile} ({FileMode(session.TokenFile!)})");
        ui.Detail($"access token   {TokenSet.Fingerprint(tokens.AccessToken)}  expires in {AuthCommands.Humanize(tokens.ExpiresAt - session.Time.GetUtcNow())}");
        ui.Detail($"refresh token  {TokenSet.Fingerprint(tokens.RefreshToken)}");
        ui.Detail($"scopes         {string.Join(' ', tokens.Scopes)}");
        ui.Detail(ui.Dim("(fingerprints: the first 8 hex digits of each token's SHA-256; the tokens themselves are never shown)"));

        Step(ui, 2, "Who am I", "TokenManager.GetUserInfoAsync");
        var user = await session.Tokens.GetUserInfoAsync(cancellationToken);
        ui.Success($"{AuthCommands.Describe(user)}, {user.Role} of {AuthCommands.Workspace(user)}");

        Step(ui, 3, "Call the API", "HttpClient from AddAnysolaApiClient(): bearer token attached for you");
        var agents = await AgentCommands.SendAsync(session, HttpMethod.Get, "api/agents", null, cancellationToken);
        AgentCommands.PrintTable(ui, agents);
        var run = await AgentCommands.SendAsync(session, HttpMethod.Post, "api/agents/agt_triage/run", new JsonObject { ["action"] = "demo" }, cancellationToken);
        using (var document = JsonDocument.Parse(run))
        {
            ui.Success($"POST /api/agents/agt_triage/run started operation {document.RootElement.GetProperty("operation").GetProperty("id")}");
        }

        Step(ui, 4, "Force a refresh: the refresh token rotates", "TokenManager.RefreshAccessTokenAsync");
        await session.Tokens.RefreshAccessTokenAsync(cancellationToken: cancellationToken);
        var refreshed = await session.Tokens.GetCurrentTokensAsync(cancellationToken) ?? throw new AnysolaLoginRequiredException();
        ui.Success($"access token   {TokenSet.Fingerprint(tokens.AccessToken)} → {TokenSet.Fingerprint(refreshed.AccessToken)}");
        ui.Success($"refresh token  {TokenSet.Fingerprint(tokens.RefreshToken)} → {TokenSet.Fingerprint(refreshed.RefreshToken)} (saved to the file before use)");
        var oldAccepted = server.IsRefreshTokenActive(tokens.RefreshToken!);
        ui.Success($"old refresh token accepted by the server now: {(oldAccepted ? "yes (unexpected!)" : "no, it died with the rotation")}");

        Step(ui, 5, "Log out", "TokenManager.LogoutAsync");
        await session.Tokens.LogoutAsync(cancellationToken);
        var newAccepted = server.IsRefreshTokenActive(refreshed.RefreshToken!);
        ui.Success($"Session revoked on the server (refresh token accepted now: {(newAccepted ? "yes (unexpected!)" : "no")})");
        ui.Success($"Token file deleted: {(File.Exists(session.TokenFile) ? "no (unexpected!)" : "yes")}");

        Step(ui, 6, "Call the API after logout", "GET /api/agents again");
        try
        {
            await AgentCommands.SendAsync(session, HttpMethod.Get, "api/agents", null, cancellationToken);
            ui.Error("The call succeeded after logout (unexpected!).");
            return ExitCodes.Error;
        }
        catch (AnysolaLoginRequiredException)
        {
            ui.Success("Refused before any request was sent: AnysolaLoginRequiredException (login required).");
            ui.Detail($"The CLI would say: \"You are not signed in to {session.Host}. Run `anysola login`.\" and exit {ExitCodes.LoginRequired}.");
        }

        ui.Line();
        ui.Line($"Done in {stopwatch.Elapsed.TotalSeconds:0.0} s. Try it against the real service: anysola login");
        return oldAccepted || newAccepted ? ExitCodes.Error : ExitCodes.Ok;
    }

    private static void Step(Ui ui, int number, string title, string api)
    {
        ui.Line();
        ui.Line($"{ui.Bold($"{number}. {title}")}  {ui.Dim(api)}");
    }

    private static string FileMode(string path) =>
        OperatingSystem.IsWindows() ? "owner-only ACL" : $"mode {Convert.ToString((int)File.GetUnixFileMode(path), 8).PadLeft(4, '0')}";
}
