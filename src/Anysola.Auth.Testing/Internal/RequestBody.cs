using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Anysola.Auth.Testing.Internal;

/// <summary>The parameters of a request body, sent as JSON (Anysola) or as a form (RFC 6749).</summary>
internal sealed class RequestBody
{
    private const int MaxBodyBytes = 1024 * 1024;

    private readonly Dictionary<string, string> _values;

    private RequestBody(Dictionary<string, string> values, string? problem)
    {
        _values = values;
        Problem = problem;
    }

    /// <summary>Why the body could not be read, as an <c>invalid_request</c> description; <see langword="null"/> when it was read.</summary>
    public string? Problem { get; }

    public string? this[string name] => _values.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    public static RequestBody Empty { get; } = new([], null);

    public static async Task<RequestBody> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var bytes = await ReadBytesAsync(request, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return Invalid("The request body is too large.");
        }

        if (bytes.Length == 0)
        {
            return Empty;
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType))
        {
            return Invalid("Send the body as application/json or application/x-www-form-urlencoded.");
        }

        if (mediaType.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return ParseForm(Encoding.UTF8.GetString(bytes));
        }

        if (mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.SubTypeWithoutSuffix.Equals("json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))
        {
            return ParseJson(bytes);
        }

        return Invalid("Send the body as application/json or application/x-www-form-urlencoded.");
    }

    private static RequestBody Invalid(string problem) => new([], problem);

    private static RequestBody ParseForm(string text)
    {
        Dictionary<string, Microsoft.Extensions.Primitives.StringValues> form;
        try
        {
            form = new FormReader(text).ReadForm();
        }
        catch (InvalidDataException)
        {
            return Invalid("The form body is malformed.");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in form)
        {
            // RFC 6749 §3.1: parameters must not be included more than once.
            if (value.Count > 1)
            {
                return Invalid($"The parameter '{name}' is repeated.");
            }

            values[name] = value.ToString();
        }

        return new RequestBody(values, null);
    }

    private static RequestBody ParseJson(byte[] bytes)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException)
        {
            return Invalid("The JSON body is malformed.");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Invalid("The JSON body must be an object.");
            }

            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                switch (property.Value.ValueKind)
                {
                    case JsonValueKind.String:
                        values[property.Name] = property.Value.GetString()!;
                        break;
                    case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                        values[property.Name] = property.Value.GetRawText();
                        break;
                    case JsonValueKind.Array when property.Value.EnumerateArray().All(item => item.ValueKind == JsonValueKind.String):
                        // A scope list sent as an array is the same as the space-separated string.
                        values[property.Name] = string.Join(' ', property.Value.EnumerateArray().Select(item => item.GetString()));
                        break;
                    case JsonValueKind.Null:
                        break;
                    default:
                        return Invalid($"The parameter '{property.Name}' must be a string.");
                }
            }

            return new RequestBody(values, null);
        }
    }

    private static async Task<byte[]?> ReadBytesAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
