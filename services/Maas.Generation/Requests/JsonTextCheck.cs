using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Maas.Generation.Requests;

/// <summary>
/// Finds the first string in a parsed JSON body that is not text: invalid UTF-8 bytes (overlong forms, encoded
/// surrogates, stray continuation bytes) or a <c>\uD800</c>-style escape that leaves a surrogate without its pair.
/// <see cref="JsonDocument"/> accepts both and only <see cref="JsonElement.GetString"/> throws later, as an
/// <see cref="InvalidOperationException"/> that used to surface as a 500; checking once up front makes every later
/// read safe and lets the 400 name the field.
/// </summary>
/// <remarks>Reads the raw bytes of each string in place (no allocation); linear in the body.</remarks>
public static class JsonTextCheck
{
    /// <summary>The path of the first malformed string or property name ("messages[2].content"), or null if all are text.</summary>
    public static string? FindMalformedString(JsonElement root)
    {
        var path = new List<string>();
        return Find(root, path) ? Format(path) : null;
    }

    /// <summary>Whether raw JSON string bytes (as <see cref="JsonMarshal.GetRawUtf8Value"/> returns them, quotes included) are well-formed text.</summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> raw)
    {
        if (!Utf8.IsValid(raw))
        {
            return false;
        }

        // Escapes: every \uD800-\uDBFF must be followed by an escaped \uDC00-\uDFFF, and no low surrogate may stand alone.
        bool expectLow = false;
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] != (byte)'\\')
            {
                if (expectLow)
                {
                    return false;
                }

                continue;
            }

            if (i + 1 >= raw.Length)
            {
                return false;
            }

            if (raw[i + 1] != (byte)'u')
            {
                if (expectLow)
                {
                    return false;
                }

                i++;
                continue;
            }

            if (i + 5 >= raw.Length || !TryHex(raw.Slice(i + 2, 4), out int unit))
            {
                return false;
            }

            bool high = unit is >= 0xD800 and <= 0xDBFF;
            bool low = unit is >= 0xDC00 and <= 0xDFFF;
            if (expectLow != low || (high && expectLow))
            {
                return false;
            }

            expectLow = high;
            i += 5;
        }

        return !expectLow;
    }

    private static bool Find(JsonElement element, List<string> path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return !IsWellFormed(JsonMarshal.GetRawUtf8Value(element));
            case JsonValueKind.Array:
                int index = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    path.Add("[" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]");
                    if (Find(item, path))
                    {
                        return true;
                    }

                    path.RemoveAt(path.Count - 1);
                    index++;
                }

                return false;
            case JsonValueKind.Object:
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    if (!IsWellFormed(JsonMarshal.GetRawUtf8PropertyName(property)))
                    {
                        // The name itself cannot be shown; the object holding it is the parameter.
                        return true;
                    }

                    path.Add(property.Name);
                    if (Find(property.Value, path))
                    {
                        return true;
                    }

                    path.RemoveAt(path.Count - 1);
                }

                return false;
            default:
                return false;
        }
    }

    private static string Format(List<string> path)
    {
        if (path.Count == 0)
        {
            return "body";
        }

        var text = new StringBuilder();
        foreach (string segment in path)
        {
            if (text.Length > 0 && segment[0] != '[')
            {
                text.Append('.');
            }

            text.Append(segment);
        }

        return text.ToString();
    }

    private static bool TryHex(ReadOnlySpan<byte> digits, out int value)
    {
        value = 0;
        foreach (byte d in digits)
        {
            int v = d switch
            {
                >= (byte)'0' and <= (byte)'9' => d - '0',
                >= (byte)'a' and <= (byte)'f' => d - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => d - 'A' + 10,
                _ => -1,
            };
            if (v < 0)
            {
                return false;
            }

            value = (value << 4) | v;
        }

        return true;
    }
}
