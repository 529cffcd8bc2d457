using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Anysola.Auth.ReliabilityTests.Fuzz;

/// <summary>A seeded generator of malformed inputs: random bytes, random JSON, and mutations of valid bodies.</summary>
public sealed class Mutator(int seed)
{
    private static readonly string[] Hostile =
    [
        "1e308", "-1e308", "1e400", "-1", "0", "-0", "1e-320", "99999999999999999999999999", "\"NaN\"", "\"Infinity\"",
        "\"-Infinity\"", "\"1e400\"", "\"-5\"", "\"abc\"", "\"\"", "null", "true", "false", "[]", "{}", "[1,2,3]",
        "{\"a\":{\"b\":null}}", "\"\\u0000\"", "\"\\ud800\"", "\"\\udfff\\ud800\"", "\"\u202e\u0645\u0631\u062d\u0628\u0627\"",
        "\"ays_oauth_\\n\\r\\t\"", "\"https://evil.test/\"", "\"javascript:alert(1)\"", "\"file:///etc/passwd\"", "\"//no-scheme\"",
        "\"  \"", "\"Bearer\"", "\"bEaReR\"", "\"mac\"", "12345678901234567890.5", "\"3600\"", "\"0.001\"", "\"1e-9\"",
    ];

    private const string Structural = "{}[]\",:\\0";

    private readonly Random _random = new(seed);

    public int Next(int max) => _random.Next(max);

    public T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    /// <summary>One generated input derived from <paramref name="valid"/>, and a short name of what was done.</summary>
    public (byte[] Body, string Mutation) Generate(string valid)
    {
        try
        {
            return GenerateCore(valid);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            return (FlipBytes(valid), "byte flips");
        }
    }

    private (byte[] Body, string Mutation) GenerateCore(string valid)
    {
        var choice = _random.Next(12);
        return choice switch
        {
            0 => (RandomBytes(_random.Next(0, 200)), "random bytes"),
            1 => (Encoding.UTF8.GetBytes(RandomJson(0).ToJsonString()), "random JSON"),
            2 => (Truncate(valid), "truncation"),
            3 => (FlipBytes(valid), "byte flips"),
            4 => (Encoding.UTF8.GetBytes(ReplaceMember(valid, _ => Pick(Hostile))), "hostile value"),
            5 => (Encoding.UTF8.GetBytes(ReplaceMember(valid, _ => RandomJson(0).ToJsonString())), "type swap"),
            6 => (Encoding.UTF8.GetBytes(ReplaceMember(valid, _ => "null")), "null member"),
            7 => (Encoding.UTF8.GetBytes(DeepNesting(valid)), "deep nesting"),
            8 => (Encoding.UTF8.GetBytes(DuplicateKey(valid)), "duplicate key"),
            9 => (Encoding.UTF8.GetBytes(ReplaceMember(valid, _ => JsonValue.Create(RandomUnicode(_random.Next(1, 40)))!.ToJsonString())), "unicode"),
            10 => (Encoding.UTF8.GetBytes(RemoveMember(valid)), "member removed"),
            _ => (Encoding.UTF8.GetBytes(Stack(valid)), "several mutations"),
        };
    }

    public byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);

        // Half of them start like JSON, to get past the "looks like an object" check.
        if (length > 0 && _random.Next(2) == 0)
        {
            bytes[0] = (byte)'{';
        }

        return bytes;
    }

    private byte[] Truncate(string valid)
    {
        var bytes = Encoding.UTF8.GetBytes(valid);
        return bytes[.._random.Next(0, bytes.Length)];
    }

    private byte[] FlipBytes(string valid)
    {
        var bytes = Encoding.UTF8.GetBytes(valid);
        var flips = _random.Next(1, 4);
        for (var i = 0; i < flips && bytes.Length > 0; i++)
        {
            var at = _random.Next(bytes.Length);
            bytes[at] = _random.Next(3) switch
            {
                0 => (byte)(bytes[at] ^ (1 << _random.Next(8))),
                1 => (byte)_random.Next(256),
                _ => (byte)Structural[_random.Next(Structural.Length)],
            };
        }

        return bytes;
    }

    private string ReplaceMember(string valid, Func<string, string> replacement)
    {
        var node = JsonNode.Parse(valid)!.AsObject();
        var names = node.Select(p => p.Key).ToList();
        var name = Pick(names);
        var text = node.ToJsonString();

        // Replace textually, so that invalid JSON tokens (NaN-like bare words, lone surrogates) survive.
        var value = node[name]?.ToJsonString() ?? "null";
        var marker = "\"" + name + "\":" + value;
        return text.Replace(marker, "\"" + name + "\":" + replacement(name), StringComparison.Ordinal);
    }

    private string RemoveMember(string valid)
    {
        var node = JsonNode.Parse(valid)!.AsObject();
        node.Remove(Pick(node.Select(p => p.Key).ToList()));
        return node.ToJsonString();
    }

    private string DeepNesting(string valid)
    {
        var depth = _random.Next(20, 5000);
        var array = _random.Next(2) == 0;
        var open = new StringBuilder();
        var close = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            open.Append(array ? "[" : "{\"a\":");
            close.Append(array ? "]" : "}");
        }

        return ReplaceMember(valid, _ => open + "1" + close);
    }

    private string DuplicateKey(string valid)
    {
        var node = JsonNode.Parse(valid)!.AsObject();
        var name = Pick(node.Select(p => p.Key).ToList());
        var text = node.ToJsonString();
        return text[..^1] + ",\"" + name + "\":" + Pick(Hostile) + "}";
    }

    private string Stack(string valid)
    {
        var text = valid;
        for (var i = 0; i < 3; i++)
        {
            try
            {
                text = _random.Next(3) switch
                {
                    0 => ReplaceMember(text, _ => Pick(Hostile)),
                    1 => DuplicateKey(text),
                    _ => ReplaceMember(text, _ => RandomJson(0).ToJsonString()),
                };
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
            {
                // An earlier step made it unparseable: keep what there is.
                break;
            }
        }

        return text;
    }

    private JsonNode RandomJson(int depth)
    {
        switch (_random.Next(depth > 4 ? 4 : 7))
        {
            case 0:
                return JsonValue.Create(_random.Next(-1000, 1000))!;
            case 1:
                return JsonValue.Create(_random.NextDouble() * Math.Pow(10, _random.Next(-10, 300)))!;
            case 2:
                return JsonValue.Create(RandomUnicode(_random.Next(0, 30)))!;
            case 3:
                return JsonValue.Create(_random.Next(2) == 0)!;
            case 4:
            {
                var array = new JsonArray();
                for (var i = _random.Next(4); i > 0; i--)
                {
                    array.Add(RandomJson(depth + 1));
                }

                return array;
            }

            default:
            {
                var obj = new JsonObject();
                string[] names = ["access_token", "refresh_token", "token_type", "expires_in", "scope", "error", "error_description",
                    "device_code", "user_code", "verification_uri", "verification_uri_complete", "interval", "sub", "workspace", "x"];
                for (var i = _random.Next(6); i > 0; i--)
                {
                    obj[Pick(names)] = RandomJson(depth + 1);
                }

                return obj;
            }
        }
    }

    private string RandomUnicode(int length)
    {
        var builder = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            var kind = _random.Next(5);
            builder.Append(kind switch
            {
                0 => (char)_random.Next(0x20, 0x7F),
                1 => (char)_random.Next(0, 0x20),
                2 => (char)_random.Next(0xD800, 0xE000), // lone surrogates
                3 => (char)_random.Next(0x0590, 0x08FF),
                _ => (char)_random.Next(0xFFF0, 0x10000),
            });
        }

        return builder.ToString();
    }

    public static string Describe(byte[] body) =>
        Convert.ToBase64String(body.Length > 120 ? body[..120] : body) + (body.Length > 120 ? $"… ({body.Length.ToString(CultureInfo.InvariantCulture)} bytes)" : string.Empty);
}
