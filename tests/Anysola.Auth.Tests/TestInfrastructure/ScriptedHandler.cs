using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Web;

namespace Anysola.Auth.Tests.TestInfrastructure;

/// <summary>
/// A terminal handler that answers with a responder and records every request. Unlike a buffering fake it reads
/// the body the way a socket handler does (<see cref="HttpContent.CopyToAsync(Stream, CancellationToken)"/>),
/// so a non-replayable body stays non-replayable. Supports synchronous <c>Send</c> too.
/// </summary>
public sealed class ScriptedHandler(Func<CapturedRequest, CancellationToken, Task<HttpResponseMessage>> responder) : HttpMessageHandler
{
    private readonly object _gate = new();
    private readonly List<(Func<CapturedRequest, bool> Match, int Count, TaskCompletionSource Done)> _waiters = [];
    private readonly List<CapturedRequest> _requests = [];

    public ScriptedHandler(Func<CapturedRequest, HttpResponseMessage> responder)
        : this((request, _) => Task.FromResult(responder(request)))
    {
    }

    public IReadOnlyList<CapturedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public int Count(Func<CapturedRequest, bool> match) => Requests.Count(match);

    /// <summary>Completes when at least <paramref name="count"/> matching requests have arrived.</summary>
    public Task WaitForRequestsAsync(int count, Func<CapturedRequest, bool>? match = null)
    {
        match ??= static _ => true;
        lock (_gate)
        {
            if (_requests.Count(match) >= count)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, count, done));
            return done.Task.WaitAsync(ObservableTimeProvider.HangGuard);
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var captured = await CapturedRequest.CaptureAsync(request, cancellationToken);
        List<TaskCompletionSource> completed = [];
        lock (_gate)
        {
            _requests.Add(captured);
            foreach (var waiter in _waiters.ToArray())
            {
                if (_requests.Count(waiter.Match) >= waiter.Count)
                {
                    _waiters.Remove(waiter);
                    completed.Add(waiter.Done);
                }
            }
        }

        completed.ForEach(static c => c.TrySetResult());
        var response = await responder(captured, cancellationToken);
        response.RequestMessage ??= request;
        return response;
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        SendAsync(request, cancellationToken).GetAwaiter().GetResult();
}

public sealed record CapturedRequest(
    HttpMethod Method,
    Uri Uri,
    string? Authorization,
    string? MediaType,
    string Accept,
    byte[]? Body)
{
    public string Path => Uri.AbsolutePath;

    public string? BodyText => Body is null ? null : Encoding.UTF8.GetString(Body);

    public static async Task<CapturedRequest> CaptureAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        byte[]? body = null;
        if (request.Content is not null)
        {
            using var buffer = new MemoryStream();
            await request.Content.CopyToAsync(buffer, cancellationToken);
            body = buffer.ToArray();
        }

        return new CapturedRequest(
            request.Method,
            request.RequestUri!,
            request.Headers.Authorization?.ToString(),
            request.Content?.Headers.ContentType?.MediaType,
            request.Headers.Accept.ToString(),
            body);
    }

    /// <summary>The body's members, parsed as the JSON object or form the content type declares. Values must be strings.</summary>
    public IReadOnlyDictionary<string, string> Fields()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (MediaType == "application/json")
        {
            using var document = JsonDocument.Parse(Body!);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                Assert.Equal(JsonValueKind.String, property.Value.ValueKind);
                result.Add(property.Name, property.Value.GetString()!);
            }
        }
        else if (MediaType == "application/x-www-form-urlencoded")
        {
            var form = HttpUtility.ParseQueryString(BodyText!);
            foreach (var key in form.AllKeys)
            {
                result.Add(key!, form[key]!);
            }
        }
        else
        {
            Assert.Fail($"Unexpected request content type '{MediaType}'.");
        }

        return result;
    }

    /// <summary>A field of a JSON or form body, or null.</summary>
    public string? Field(string name) => Body is { Length: > 0 } && Fields().TryGetValue(name, out var value) ? value : null;
}
