using System.CommandLine;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anysola.Auth.Sample.Terminal;

namespace Anysola.Auth.Sample.Commands;

/// <summary>
/// <c>agents list</c> and <c>agents run</c>: ordinary HttpClient calls. The client from <c>AddAnysolaApiClient</c>
/// attaches the token, refreshes it on a 401 and retries 429/5xx, so this code only deals with the API itself.
/// </summary>
internal static class AgentCommands
{
    public static Command Agents() => new("agents", "List and run the agents of your workspace.") { List(), Run() };

    private static Command List()
    {
        var json = JsonOutput.Option();
        var command = new Command("list", "List the agents of your workspace (needs agents:read).") { json };
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(
            parseResult,
            async session =>
            {
                var body = await SendAsync(session, HttpMethod.Get, "api/agents", null, cancellationToken);
                if (parseResult.GetValue(json))
                {
                    JsonOutput.WriteRaw(body);
                }
                else
                {
                    PrintTable(Ui.Stdout, body);
                }

                return ExitCodes.Ok;
            },
            cancellationToken));
        return command;
    }

    private static Command Run()
    {
        var id = new Argument<string>("id") { Description = "The agent's id, as `anysola agents list` shows it." };
        var action = new Option<string?>("--action") { Description = "What the agent should do.", HelpName = "text" };
        var json = JsonOutput.Option();
        var command = new Command("run", "Start a run of an agent (needs operations:write).") { id, action, json };
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(
            parseResult,
            async session =>
            {
                var agent = parseResult.GetValue(id)!;
                var request = new JsonObject();
                if (parseResult.GetValue(action) is { } text)
                {
                    request["action"] = text;
                }

                var body = await SendAsync(session, HttpMethod.Post, $"api/agents/{Uri.EscapeDataString(agent)}/run", request, cancellationToken, agent);
                if (parseResult.GetValue(json))
                {
                    JsonOutput.WriteRaw(body);
                    return ExitCodes.Ok;
                }

                using var document = JsonDocument.Parse(body);
                var operation = document.RootElement.GetProperty("operation");
                Ui.Stdout.Success($"Started {agent}: operation {Text(operation, "id")} ({Text(operation, "status")}, action {Text(operation, "action")})");
                return ExitCodes.Ok;
            },
            cancellationToken));
        return command;
    }

    public static void PrintTable(Ui ui, string body)
    {
        using var document = JsonDocument.Parse(body);
        var rows = document.RootElement.GetProperty("agents").EnumerateArray()
            .Select(agent => new[] { Text(agent, "id"), Text(agent, "name"), Text(agent, "status"), Text(agent, "createdAt") })
            .ToList();
        if (rows.Count == 0)
        {
            ui.Line("No agents in this workspace yet.");
            return;
        }

        string[] header = ["ID", "NAME", "STATUS", "CREATED"];
        var widths = header.Select((title, column) => rows.Max(row => row[column].Length) is var longest && longest > title.Length ? longest : title.Length).ToArray();
        ui.Line(ui.Bold(Format(header)));
        foreach (var row in rows)
        {
            ui.Line(Format(row));
        }

        string Format(string[] cells) => string.Join("  ", cells.Select((cell, column) => cell.PadRight(widths[column]))).TrimEnd();
    }

    /// <summary>Sends one API request; returns the body of a success, or throws a <see cref="CliException"/> saying what to do.</summary>
    public static async Task<string> SendAsync(AnysolaSession session, HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken, string? agent = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var client = session.CreateApiClient();
        using var response = await client.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return text;
        }

        var error = ErrorText(text) ?? response.ReasonPhrase ?? "no details";
        throw response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => new CliException($"{session.Host} rejected your token even after a refresh ({error}). Run `anysola login`.", ExitCodes.LoginRequired),
            HttpStatusCode.Forbidden when RequiredScope(response) is { } scope =>
                new CliException($"Your token lacks the {scope} scope. Run `anysola login --scope {scope}` (your role in the workspace must allow it)."),
            HttpStatusCode.Forbidden => new CliException($"Not allowed: {error}."),
            HttpStatusCode.NotFound when agent is not null => new CliException($"There is no agent {agent} in your workspace. Run `anysola agents list` to see the ids."),
            HttpStatusCode.PaymentRequired => new CliException($"Your plan does not allow this: {error}. Upgrade the workspace's plan on {session.Host}."),
            HttpStatusCode.TooManyRequests => new CliException($"Rate limited by {session.Host}. Try again in {(int?)response.Headers.RetryAfter?.Delta?.TotalSeconds ?? 60} s."),
            _ => new CliException($"{session.Host} answered {(int)response.StatusCode}: {error}. Try again later."),
        };
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.ToString() : "-";

    /// <summary>Anysola's error bodies look like <c>{"error": "human readable text"}</c>.</summary>
    private static string? ErrorText(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error)
                ? error.ToString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>RFC 6750: <c>WWW-Authenticate: Bearer error="insufficient_scope", scope="operations:write"</c>.</summary>
    private static string? RequiredScope(HttpResponseMessage response)
    {
        foreach (var challenge in response.Headers.WwwAuthenticate)
        {
            var parameter = challenge.Parameter ?? "";
            var start = parameter.IndexOf("scope=\"", StringComparison.Ordinal);
            if (parameter.Contains("insufficient_scope", StringComparison.Ordinal) && start >= 0)
            {
                start += "scope=\"".Length;
                var end = parameter.IndexOf('"', start);
                return end > start ? parameter[start..end] : null;
            }
        }

        return null;
    }
}
