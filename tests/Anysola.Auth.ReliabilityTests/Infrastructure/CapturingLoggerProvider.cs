using System.Collections;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Anysola.Auth.ReliabilityTests.Infrastructure;

/// <summary>Captures every log call at every level: message, structured values, scopes and exceptions.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _text = new();

    public int Count => _text.Count;

    public ILoggerFactory CreateFactory() => LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(this));

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public IEnumerable<string> AllText() => _text;

    public void Dispose()
    {
    }

    private static string Render(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        IEnumerable items => string.Join(",", items.Cast<object?>().Select(Render)),
        _ => value.ToString() ?? string.Empty,
    };

    private sealed class CapturingLogger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            owner._text.Enqueue("scope " + Render(state));
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            owner._text.Enqueue($"{category} {logLevel} {eventId} {formatter(state, exception)}");
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var pair in pairs)
                {
                    owner._text.Enqueue(pair.Key + "=" + Render(pair.Value));
                }
            }

            if (exception is not null)
            {
                owner._text.Enqueue(exception.ToString());
            }
        }
    }
}
