using System.Collections;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Anysola.Auth.Tests.TestInfrastructure;

/// <summary>Records every log call at every level: the formatted message, each structured value, scopes and exceptions.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<LogRecord> Records { get; } = new();

    public ConcurrentQueue<string> Scopes { get; } = new();

    public ILoggerFactory CreateFactory() =>
        LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(this));

    public ILogger CreateLogger(string categoryName) => new RecordingLogger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>Every piece of text the loggers received.</summary>
    public IEnumerable<string> AllText() =>
        Records.SelectMany(static r => r.State.Select(static s => $"{s.Key}={s.Value}").Append(r.Message).Append(r.Exception ?? string.Empty))
            .Concat(Scopes);

    internal static string? Render(object? value) => value switch
    {
        null => null,
        string s => s,
        IEnumerable items => string.Join(",", items.Cast<object?>().Select(Render)),
        _ => value.ToString(),
    };

    private sealed class RecordingLogger(RecordingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            owner.Scopes.Enqueue(Render(state) ?? string.Empty);
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.Select(static p => new KeyValuePair<string, string?>(p.Key, Render(p.Value))).ToList()
                : [];
            owner.Records.Enqueue(new LogRecord(category, logLevel, eventId, formatter(state, exception), values, exception?.ToString()));
        }
    }
}

public sealed record LogRecord(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyList<KeyValuePair<string, string?>> State, string? Exception);
