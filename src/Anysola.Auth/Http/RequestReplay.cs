namespace Anysola.Auth.Http;

/// <summary>Decides whether a request that was already sent once can be sent again with the same body.</summary>
internal static class RequestReplay
{
    public static async ValueTask<bool> CanReplayAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        switch (request.Content)
        {
            case null:
                return true;

            // Buffered bodies: their bytes are kept and serialised again on every send.
            case ByteArrayContent or ReadOnlyMemoryContent:
                return true;

            case MultipartContent multipart:
                foreach (var part in multipart)
                {
                    if (part is not (ByteArrayContent or ReadOnlyMemoryContent))
                    {
                        return false;
                    }
                }

                return true;

            case StreamContent stream:
                // StreamContent rewinds a seekable stream to where it started before each send; a consumed
                // non-seekable one refuses to be read again (InvalidOperationException).
                try
                {
                    var body = await stream.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                    return body.CanSeek;
                }
                catch (InvalidOperationException)
                {
                    return false;
                }

            default:
                // JsonContent and other content types that serialise a value each time are replayable; unknown
                // custom content is not assumed to be.
                return request.Content.GetType().FullName == "System.Net.Http.Json.JsonContent";
        }
    }
}
