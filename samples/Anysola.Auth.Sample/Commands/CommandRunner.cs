using System.CommandLine;
using Anysola.Auth.Sample.Terminal;
using Microsoft.Extensions.Options;

namespace Anysola.Auth.Sample.Commands;

/// <summary>The options every command accepts.</summary>
internal static class GlobalOptions
{
    public const string BaseUrlVariable = "ANYSOLA_BASE_URL";

    public static readonly Option<string?> Server = CreateServerOption();

    public static readonly Option<bool> Local = new("--local")
    {
        Description = "Use a throwaway Anysola server started in this process: it approves every login by itself and commands sign in to it first. Your stored tokens are not touched.",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Show the library's logs on stderr (they never contain tokens).",
        Recursive = true,
    };

    /// <summary>An absolute https URL (http only for loopback), ending in a slash so relative paths resolve under it.</summary>
    public static Uri? ParseServer(string text)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri)
            || !(uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback)))
        {
            return null;
        }

        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri, uri.AbsolutePath + "/");
    }

    private static Option<string?> CreateServerOption()
    {
        var option = new Option<string?>("--server")
        {
            Description = $"The Anysola server. Default: ${BaseUrlVariable}, else {AnysolaAuthOptions.DefaultBaseAddress}",
            HelpName = "url",
            Recursive = true,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && ParseServer(text) is null)
            {
                result.AddError($"--server {text} is not a valid server URL: use https://, or http:// for localhost only.");
            }
        });
        return option;
    }
}

/// <summary>
/// Runs a command body inside an <see cref="AnysolaSession"/> and turns every failure into one sentence on stderr
/// with the next step, and an exit code from <see cref="ExitCodes"/>. No stack traces, except with --verbose.
/// </summary>
internal static class CommandRunner
{
    /// <param name="parseResult">The parsed command line.</param>
    /// <param name="body">The command itself.</param>
    /// <param name="cancellationToken">Cancelled by Ctrl+C.</param>
    /// <param name="configure">Extra options, such as the scopes <c>login</c> asks for.</param>
    /// <param name="local">True to run against the local server whatever the options say (the demo).</param>
    /// <param name="signIn">False for commands that manage the session themselves, so <c>--local</c> does not sign in first.</param>
    public static async Task<int> RunAsync(
        ParseResult parseResult,
        Func<AnysolaSession, Task<int>> body,
        CancellationToken cancellationToken,
        Action<AnysolaAuthOptions>? configure = null,
        bool local = false,
        bool signIn = true)
    {
        var verbose = parseResult.GetValue(GlobalOptions.Verbose);
        Ui.Stderr.Animate = Ui.Stdout.Animate = !verbose;
        var host = "the Anysola server";
        try
        {
            var server = local ? null : ChooseServer(parseResult);
            host = server?.Authority ?? "the local server";
            await using var session = await AnysolaSession.StartAsync(server, verbose, configure, cancellationToken);
            host = session.Host;
            if (session.IsLocal && signIn)
            {
                await session.SignInToLocalServerAsync(cancellationToken);
            }

            return await body(session);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Ui.Stderr.Error("Cancelled.");
            return ExitCodes.Cancelled;
        }
        catch (Exception ex)
        {
            var (message, exitCode) = Describe(ex, host);
            Ui.Stderr.Error(message);
            if (verbose)
            {
                Console.Error.WriteLine(ex);
            }

            return exitCode;
        }
    }

    /// <summary>--local, else --server, else $ANYSOLA_BASE_URL, else https://anysola.com/. Null means the local server.</summary>
    private static Uri? ChooseServer(ParseResult parseResult)
    {
        var option = parseResult.GetValue(GlobalOptions.Server);
        if (parseResult.GetValue(GlobalOptions.Local))
        {
            return option is null ? null : throw new CliException("Use either --server or --local, not both.", ExitCodes.Usage);
        }

        if (option is not null)
        {
            return GlobalOptions.ParseServer(option)!; // validated by the parser
        }

        var variable = Environment.GetEnvironmentVariable(GlobalOptions.BaseUrlVariable);
        if (string.IsNullOrWhiteSpace(variable))
        {
            return AnysolaAuthOptions.DefaultBaseAddress;
        }

        return GlobalOptions.ParseServer(variable)
            ?? throw new CliException($"{GlobalOptions.BaseUrlVariable}={variable} is not a valid server URL: use https://, or http:// for localhost only.", ExitCodes.Usage);
    }

    private static (string Message, int ExitCode) Describe(Exception exception, string host) => exception switch
    {
        CliException cli => (cli.Message, cli.ExitCode),
        AnysolaLoginRequiredException { InnerException: null } => ($"You are not signed in to {host}. Run `anysola login`.", ExitCodes.LoginRequired),
        AnysolaLoginRequiredException => ($"Your session on {host} has ended (it expired or was revoked). Run `anysola login`.", ExitCodes.LoginRequired),
        AnysolaAuthException auth => (auth.Error switch
        {
            AnysolaAuthErrors.AccessDenied => "The login was denied in the browser. Run `anysola login` to try again.",
            AnysolaAuthErrors.ExpiredToken => "The code expired before it was approved. Run `anysola login` for a new one.",
            AnysolaAuthErrors.NetworkError => $"Could not reach {host}. Check your connection, or choose another server with --server.",
            AnysolaAuthErrors.RequestTimeout => $"{host} did not answer in time. Try again in a moment.",
            AnysolaAuthErrors.TokenStoreError => $"{auth.Message} Run `anysola logout` to remove it, then `anysola login`.",
            AnysolaAuthErrors.TokenStoreLockTimeout => "Another anysola command is using the token file. Try again when it has finished.",
            _ => $"{host} refused the request ({auth.Error}{(auth.ErrorDescription is { } description ? $": {description}" : "")}). Try again, or run `anysola login` if it persists.",
        }, ExitCodes.Error),
        HttpRequestException => ($"Could not reach {host}. Check your connection, or choose another server with --server.", ExitCodes.Error),
        TaskCanceledException => ($"{host} did not answer in time. Try again in a moment.", ExitCodes.Error),
        OptionsValidationException options => ($"Invalid settings: {options.Message}", ExitCodes.Usage),
        _ => ($"Unexpected error: {exception.Message} Run again with --verbose for details.", ExitCodes.Error),
    };
}
