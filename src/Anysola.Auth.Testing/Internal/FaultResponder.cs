using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Anysola.Auth.Testing.Internal;

/// <summary>Answers a request the way an <see cref="AnysolaFault"/> says.</summary>
internal static class FaultResponder
{
    private const string ErrorJson = "{\"error\":\"temporarily_unavailable\"}";
    private const string TrickleJson = "{\"error\":\"temporarily_unavailable\",\"error_description\":\"The service is slow right now.\"}";
    private const string HtmlPage =
        "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n";
    private const int HugeBytes = 10 * 1024 * 1024;
    private const int TrickleChunkBytes = 4;
    private static readonly TimeSpan s_trickleGap = TimeSpan.FromMilliseconds(100);

    public static async Task ApplyAsync(
        HttpContext context,
        AnysolaFault fault,
        RequestInfo info,
        Func<Task> handleNormally,
        CancellationToken cancellationToken)
    {
        if (fault.Delay > TimeSpan.Zero)
        {
            // Real time on purpose: the fault models a slow network, which a fake clock does not slow down.
            await Task.Delay(fault.Delay, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }

        var kind = fault.DropConnection ? "drop" : fault.Body.ToString().ToLowerInvariant();
        if (fault.Passthrough)
        {
            // Handle the request for real, into a buffer nobody will see: the server acts, the answer is lost.
            var realBody = context.Response.Body;
            using var buffer = new MemoryStream();
            context.Response.Body = buffer;
            try
            {
                await handleNormally().ConfigureAwait(false);
            }
            finally
            {
                context.Response.Body = realBody;
            }

            info.Outcome = $"fault:{kind}:{info.Outcome}";
            if (!fault.DropConnection)
            {
                context.Response.Clear();
            }
        }
        else
        {
            info.Outcome = $"fault:{kind}";
        }

        if (fault.DropConnection)
        {
            info.Dropped = true;
            info.Record();
            context.Abort();
            return;
        }

        await WriteAsync(context, fault, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteAsync(HttpContext context, AnysolaFault fault, CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.StatusCode = fault.StatusCode;
        if (fault.RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = Responses.RetryAfter(retryAfter, minimum: 0);
        }

        switch (fault.Body)
        {
            case AnysolaFaultBody.Json:
                await WriteTextAsync(response, Responses.JsonContentType, ErrorJson, cancellationToken).ConfigureAwait(false);
                break;
            case AnysolaFaultBody.WrongContentType:
                await WriteTextAsync(response, "text/plain; charset=utf-8", ErrorJson, cancellationToken).ConfigureAwait(false);
                break;
            case AnysolaFaultBody.Html:
                await WriteTextAsync(response, "text/html; charset=utf-8", HtmlPage, cancellationToken).ConfigureAwait(false);
                break;
            case AnysolaFaultBody.Empty:
                response.ContentLength = 0;
                break;
            case AnysolaFaultBody.TruncatedJson:
                // A complete HTTP message whose JSON stops mid-value.
                var truncated = fault.StatusCode is >= 200 and < 300
                    ? "{\"access_token\":\"ays_oauth_TRUNCAT"
                    : "{\"error\":\"temporarily_unava";
                await WriteTextAsync(response, Responses.JsonContentType, truncated, cancellationToken).ConfigureAwait(false);
                break;
            case AnysolaFaultBody.Huge:
                await WriteHugeAsync(response, cancellationToken).ConfigureAwait(false);
                break;
            case AnysolaFaultBody.Trickle:
                await WriteTrickleAsync(response, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Unknown fault body {fault.Body}."));
        }
    }

    private static async Task WriteTextAsync(HttpResponse response, string contentType, string text, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        response.ContentType = contentType;
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteHugeAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        var head = Encoding.UTF8.GetBytes("{\"error\":\"temporarily_unavailable\",\"error_description\":\"");
        var tail = Encoding.UTF8.GetBytes("\"}");
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'x');
        var padding = HugeBytes - head.Length - tail.Length;

        response.ContentType = Responses.JsonContentType;
        response.ContentLength = HugeBytes;
        await response.Body.WriteAsync(head, cancellationToken).ConfigureAwait(false);
        while (padding > 0)
        {
            var count = Math.Min(chunk.Length, padding);
            await response.Body.WriteAsync(chunk.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
            padding -= count;
        }

        await response.Body.WriteAsync(tail, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteTrickleAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(TrickleJson);
        response.ContentType = Responses.JsonContentType;
        response.ContentLength = bytes.Length;
        await response.StartAsync(cancellationToken).ConfigureAwait(false);
        for (var offset = 0; offset < bytes.Length; offset += TrickleChunkBytes)
        {
            if (offset > 0)
            {
                await Task.Delay(s_trickleGap, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }

            await response.Body.WriteAsync(bytes.AsMemory(offset, Math.Min(TrickleChunkBytes, bytes.Length - offset)), cancellationToken).ConfigureAwait(false);
            await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
