using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Anysola.Auth.Sample;
using Anysola.Auth.Sample.Commands;
using Anysola.Auth.Sample.Terminal;

if (OperatingSystem.IsWindows())
{
    Console.OutputEncoding = System.Text.Encoding.UTF8; // for ✓ and the QR code's half blocks
}

var root = new RootCommand(
    $"""
    anysola: sign in to Anysola from the terminal and call its API. A sample of the Anysola.Auth library.

    Start with `anysola demo`: it runs the whole story against a local server, with no set-up.

    Environment: ANYSOLA_BASE_URL (the server), ANYSOLA_CONFIG_DIR (where tokens are stored), BROWSER, NO_COLOR.
    {ExitCodes.HelpText}
    """)
{
    GlobalOptions.Server,
    GlobalOptions.Local,
    GlobalOptions.Verbose,
    AuthCommands.Login(),
    AuthCommands.Logout(),
    AuthCommands.Status(),
    AuthCommands.Token(),
    AuthCommands.WhoAmI(),
    AgentCommands.Agents(),
    DemoCommand.Create(),
};

if (args.Length == 0)
{
    await root.Parse(["--help"]).InvokeAsync();
    return ExitCodes.Usage;
}

var parseResult = root.Parse(args);
if (parseResult.Errors.Count > 0 && parseResult.Action is ParseErrorAction)
{
    // System.CommandLine would exit 1; usage errors get their own code (2) and a pointer to the help.
    foreach (var error in parseResult.Errors)
    {
        Ui.Stderr.Error(error.Message);
    }

    Ui.Stderr.Detail($"Run `{CommandPath(parseResult.CommandResult)} --help` for usage.");
    return ExitCodes.Usage;
}

// Ctrl+C (SIGINT) and SIGTERM cancel the command's token; System.CommandLine 2.0.0 only listens for them when a
// timeout is given. A command that ignored the token would be ended after it, with exit code 130.
return await parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(2) });

static string CommandPath(CommandResult command)
{
    var names = new List<string>();
    for (SymbolResult? result = command; result is CommandResult current; result = current.Parent)
    {
        names.Insert(0, current.Parent is null ? "anysola" : current.Command.Name);
    }

    return string.Join(' ', names);
}
