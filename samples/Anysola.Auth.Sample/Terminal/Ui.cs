namespace Anysola.Auth.Sample.Terminal;

/// <summary>
/// Writes to one stream, with colour and animation only when that stream is a terminal (and NO_COLOR is unset),
/// so the same code reads well live and in a log file. Prompts and progress go to <see cref="Stderr"/>; data goes
/// to <see cref="Stdout"/>, so <c>anysola token | pbcopy</c> and <c>anysola agents list --json | jq</c> just work.
/// </summary>
internal sealed class Ui
{
    private static readonly bool _colorAllowed =
        Environment.GetEnvironmentVariable("NO_COLOR") is null or "" && Environment.GetEnvironmentVariable("TERM") != "dumb";

    private readonly TextWriter _writer;
    private readonly bool _color;

    private Ui(TextWriter writer, bool isTerminal)
    {
        _writer = writer;
        IsTerminal = isTerminal;
        _color = isTerminal && _colorAllowed;
    }

    public static Ui Stderr { get; } = new(Console.Error, !Console.IsErrorRedirected);

    public static Ui Stdout { get; } = new(Console.Out, !Console.IsOutputRedirected);

    public bool IsTerminal { get; }

    /// <summary>Turned off by <c>--verbose</c>: log lines and a spinner redrawing one line do not mix.</summary>
    public bool Animate { get; set; } = true;

    public string Bold(string text) => Paint("1", text);

    public string Dim(string text) => Paint("2", text);

    public string Green(string text) => Paint("32", text);

    public string Yellow(string text) => Paint("33", text);

    public string Cyan(string text) => Paint("36", text);

    public void Line(string text = "") => _writer.WriteLine(text);

    public void Success(string text) => _writer.WriteLine($"{Green("✓")} {text}");

    public void Notice(string text) => _writer.WriteLine($"{Yellow("!")} {text}");

    public void Error(string text) => _writer.WriteLine($"{Paint("31", "✗")} {text}");

    public void Detail(string text) => _writer.WriteLine($"  {text}");

    /// <summary>
    /// Shows <paramref name="text"/> until disposed: a spinner redrawn ten times a second on a terminal (so a
    /// countdown stays current), a single plain line anywhere else.
    /// </summary>
    public IAsyncDisposable Progress(Func<string> text)
    {
        if (!IsTerminal || !Animate)
        {
            _writer.WriteLine(text());
            return new Spinner(_writer, null, null);
        }

        var stop = new CancellationTokenSource();
        var loop = Task.Run(async () =>
        {
            const string frames = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            var frame = 0;
            try
            {
                do
                {
                    // \r returns to the line start; ESC[K erases what a longer previous frame left behind.
                    _writer.Write($"\r{Cyan(frames[frame++ % frames.Length].ToString())} {text()}\u001b[K");
                }
                while (await timer.WaitForNextTickAsync(stop.Token));
            }
            catch (OperationCanceledException)
            {
            }
        });
        return new Spinner(_writer, stop, loop);
    }

    private string Paint(string code, string text) => _color ? $"\u001b[{code}m{text}\u001b[0m" : text;

    private sealed class Spinner(TextWriter writer, CancellationTokenSource? stop, Task? loop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (stop is null || loop is null)
            {
                return;
            }

            await stop.CancelAsync();
            await loop;
            stop.Dispose();
            writer.Write("\r\u001b[K");
        }
    }
}
