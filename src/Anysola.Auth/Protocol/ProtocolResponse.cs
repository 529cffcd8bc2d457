using System.Net;

namespace Anysola.Auth.Protocol;

/// <summary>A fully read, size-capped response: the status, the body bytes and what the headers said about them.</summary>
internal readonly record struct ProtocolResponse(HttpStatusCode StatusCode, ReadOnlyMemory<byte> Body, string? MediaType, TimeSpan? RetryAfter)
{
    public bool IsSuccess => (int)StatusCode is >= 200 and <= 299;

    /// <summary>Whether the body looks like a JSON object, whatever the content type claims.</summary>
    public bool LooksLikeJsonObject
    {
        get
        {
            foreach (var b in Body.Span)
            {
                if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                {
                    continue;
                }

                return b == (byte)'{';
            }

            return false;
        }
    }
}
