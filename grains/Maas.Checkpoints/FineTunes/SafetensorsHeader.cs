using System.Buffers.Binary;
using System.Text.Json;

namespace Maas.Checkpoints.FineTunes;

/// <summary>
/// Reads only the header of a .safetensors file (8-byte length, JSON), checking that every tensor's byte range lies in
/// the file and matches its dtype and shape. The api validates uploads with it without loading (or referencing) the
/// engine; the engine maps the file itself when it loads the weights.
/// </summary>
public static class SafetensorsHeader
{
    /// <summary>Headers above this are refused (real checkpoints have a few hundred KB).</summary>
    public const int MaxHeaderBytes = 64 << 20;

    public static IReadOnlyList<SafetensorsHeaderEntry> Read(string path)
    {
        var name = Path.GetFileName(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
        var fileLength = stream.Length;
        Span<byte> prefix = stackalloc byte[8];
        if (fileLength < 8 || stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
        {
            throw new CheckpointException($"{name}: truncated safetensors file ({fileLength} bytes, the header length alone takes 8)");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength == 0 || headerLength > MaxHeaderBytes || headerLength > (ulong)(fileLength - 8))
        {
            throw new CheckpointException($"{name}: corrupt safetensors header: header length {headerLength} does not fit in a file of {fileLength} bytes");
        }

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var dataLength = fileLength - 8 - (long)headerLength;
        var entries = new List<SafetensorsHeaderEntry>();
        try
        {
            using var document = JsonDocument.Parse(header);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException($"{name}: corrupt safetensors header: the header must be a JSON object");
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    continue;
                }

                entries.Add(ParseEntry(name, property, dataLength));
            }
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{name}: corrupt safetensors header: not valid JSON ({e.Message})", e);
        }

        return entries;
    }

    /// <summary>Bytes per element of a dtype the engine loads (F32, BF16, F16, F8_E4M3); 0 for any other.</summary>
    public static int LoadableElementSize(string dtype) => dtype switch
    {
        "F32" => 4,
        "BF16" or "F16" => 2,
        "F8_E4M3" => 1,
        _ => 0,
    };

    private static SafetensorsHeaderEntry ParseEntry(string file, JsonProperty property, long dataLength)
    {
        var tensor = property.Name;
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
        {
            throw new CheckpointException($"{file}: tensor '{tensor}' needs dtype, shape and data_offsets [begin, end]");
        }

        var dims = new List<long>();
        long elements = 1;
        foreach (var d in shape.EnumerateArray())
        {
            if (!d.TryGetInt64(out var n) || n < 0)
            {
                throw new CheckpointException($"{file}: tensor '{tensor}' has an invalid shape {shape.GetRawText()}");
            }

            dims.Add(n);
            elements = n == 0 ? 0 : checked(elements * n);
        }

        if (!offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end) || begin < 0 || end < begin || end > dataLength)
        {
            throw new CheckpointException($"{file}: tensor '{tensor}' has data_offsets {offsets.GetRawText()} outside the file's {dataLength} data bytes");
        }

        var size = LoadableElementSize(dtype.GetString()!);
        if (size > 0 && end - begin != elements * size)
        {
            throw new CheckpointException($"{file}: tensor '{tensor}' ({dtype.GetString()} {string.Join('x', dims)}) should take {elements * size} bytes but its data_offsets span {end - begin}");
        }

        return new SafetensorsHeaderEntry(tensor, dtype.GetString()!, dims, begin, end);
    }
}
