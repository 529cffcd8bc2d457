using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Anysola.Auth.Tests.TestInfrastructure;

/// <summary>
/// A scripted terminal handler: records every request (with its body read eagerly) and answers with the
/// responder. The responder runs for each request and may block on signals to simulate a slow server.
/// </summary>
public sealed class FakeHttpMessageHandler(Func<RecordedRequest, CancellationToken, Task<HttpResponseMessage>> responder) : HttpMessageHandler
{
    public FakeHttpMessageHandler(Func<RecordedRequest, HttpResponseMessage> responder)
        : this((request, _) => Task.FromResult(responder(request)))
    {
    }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var recorded = new RecordedRequest(
            request.Method,
            request.RequestUri!,
            request.Headers.Authorization?.ToString(),
            request.Content?.Headers.ContentType?.ToString(),
            request.Headers.Accept.ToString(),
            body);
        Requests.Enqueue(recorded);
        var response = await responder(recorded, cancellationToken);
        response.RequestMessage ??= request;
        return response;
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
}

public sealed record RecordedRequest(HttpMethod Method, Uri Uri, string? Authorization, string? ContentType, string Accept, string? Body);
