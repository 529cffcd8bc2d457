using System.Buffers;
using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Anysola.Auth.Sample.Terminal;

/// <summary><c>--json</c>: indented JSON on stdout, for jq and scripts.</summary>
internal static class JsonOutput
{
    // Readable in a terminal ("é", "<", "'") and still valid JSON: the output is never embedded in HTML.
    private static readonly JsonWriterOptions _options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Option<bool> Option() => new("--json") { Description = "Print JSON to stdout instead of text." };

    public static void Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, _options))
        {
            write(writer);
        }

        Console.Out.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    /// <summary>Re-indents a server response as it came.</summary>
    public static void WriteRaw(string json)
    {
        using var document = JsonDocument.Parse(json);
        Write(document.RootElement.WriteTo);
    }

    public static void WriteObject(this Utf8JsonWriter writer, Action properties)
    {
        writer.WriteStartObject();
        properties();
        writer.WriteEndObject();
    }

    public static void WriteStringArray(this Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }
}
