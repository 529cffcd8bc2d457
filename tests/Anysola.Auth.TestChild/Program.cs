// A child process for the cross-process and crash tests. Modes:
//
//   refresh --base <url> --store <path> --rounds <n> --barrier-dir <dir>
//     Prints "ready" once set up. For each round r (1..n): waits for the file <dir>/go-<r>, then forces a refresh
//     through a TokenManager on a FileTokenStore: RefreshAccessTokenAsync(the token it holds). Prints one line:
//     "round <r> ok <fingerprint of the new access token>" or "round <r> error <error code> <exception type>".
//
//   write-loop --store <path> [--start <n>]
//     Saves complete, distinct token sets numbered n, n+1, ... in a tight loop, printing "saved <i>" after each save
//     returns, until killed.
//
// Tokens are never printed, only TokenSet.Fingerprint. Both modes exit when stdin closes (the test process died)
// or after a hard deadline, so an abandoned child cannot run for ever. Exit codes: 0 done, 2 usage, 3 timed out.
using System.Globalization;
using Anysola.Auth;

var arguments = ParseArguments(args);
if (args.Length == 0 || !arguments.TryGetValue("store", out var storePath))
{
    Console.Error.WriteLine("usage: refresh --base <url> --store <path> --rounds <n> --barrier-dir <dir> | write-loop --store <path> [--start <n>]");
    return 2;
}

WatchForAbandonment(TimeSpan.FromSeconds(int.Parse(arguments.GetValueOrDefault("max-seconds", "120"), CultureInfo.InvariantCulture)));

switch (args[0])
{
    case "refresh":
        return await RefreshRoundsAsync(
            new Uri(arguments["base"]),
            storePath,
            int.Parse(arguments["rounds"], CultureInfo.InvariantCulture),
            arguments["barrier-dir"]);
    case "write-loop":
        await WriteLoopAsync(storePath, long.Parse(arguments.GetValueOrDefault("start", "1"), CultureInfo.InvariantCulture));
        return 0;
    default:
        Console.Error.WriteLine($"unknown mode {args[0]}");
        return 2;
}

static async Task<int> RefreshRoundsAsync(Uri baseAddress, string storePath, int rounds, string barrierDirectory)
{
    using var http = new HttpClient();
    var options = new AnysolaAuthOptions
    {
        BaseAddress = baseAddress,
        CliLabel = "cross-process-child",

        // A retried refresh could hide a double refresh from the test; every request must count.
        MaxRetryAttempts = 0,
    };
    var manager = new TokenManager(http, new FileTokenStore(storePath), options);

    // Load the session before the first round, so each round starts from the token this process holds.
    _ = await manager.GetCurrentTokensAsync();
    Console.WriteLine("ready");

    for (var round = 1; round <= rounds; round++)
    {
        var go = Path.Combine(barrierDirectory, $"go-{round}");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!File.Exists(go))
        {
            if (DateTime.UtcNow > deadline)
            {
                Console.WriteLine($"round {round} error barrier_timeout none");
                return 3;
            }

            Thread.Sleep(1);
        }

        try
        {
            var current = (await manager.GetCurrentTokensAsync())?.AccessToken;
            var fresh = await manager.RefreshAccessTokenAsync(current);
            Console.WriteLine($"round {round} ok {TokenSet.Fingerprint(fresh)} was {TokenSet.Fingerprint(current)}");
        }
        catch (AnysolaAuthException ex)
        {
            Console.WriteLine($"round {round} error {ex.Error} {ex.GetType().Name}");
        }
    }

    return 0;
}

static async Task WriteLoopAsync(string storePath, long start)
{
    var store = new FileTokenStore(storePath);
    for (var i = start; ; i++)
    {
        await store.SaveAsync(WriteLoopTokens(i));
        Console.WriteLine($"saved {i}");
    }
}

// Every field derives from the counter, so a reader can tell a complete set from a mix of two.
static TokenSet WriteLoopTokens(long i) => new()
{
    AccessToken = $"ays_oauth_FAKE_write_{i}",
    RefreshToken = $"ays_refresh_FAKE_write_{i}",
    ExpiresAt = new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(i),
    IssuedAt = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(i),
    Scopes = [$"scope_{i}", "agents:read"],
};

static void WatchForAbandonment(TimeSpan maxLifetime)
{
    var stdin = new Thread(() =>
    {
        // The test keeps stdin open; EOF means it closed it or died.
        try
        {
            while (Console.In.ReadLine() is not null)
            {
            }
        }
        catch (IOException)
        {
        }

        Environment.Exit(4);
    })
    { IsBackground = true };
    stdin.Start();

    var timer = new Thread(() =>
    {
        Thread.Sleep(maxLifetime);
        Environment.Exit(3);
    })
    { IsBackground = true };
    timer.Start();
}

static Dictionary<string, string> ParseArguments(string[] args)
{
    var result = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 1; i + 1 < args.Length; i += 2)
    {
        if (args[i].StartsWith("--", StringComparison.Ordinal))
        {
            result[args[i][2..]] = args[i + 1];
        }
    }

    return result;
}
