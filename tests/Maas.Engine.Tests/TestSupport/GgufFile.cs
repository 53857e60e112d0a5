using System.Text;
using Maas.Engine.Tools.Gguf;

namespace Maas.Engine.Tests.TestSupport;

/// <summary>
/// A GGUF reader for tests, written from the format description (not from the writer), so the export
/// tests check the file llama.cpp would read: metadata, tensor descriptions and dequantized values.
/// </summary>
internal sealed class GgufFile
{
    private readonly byte[] _bytes;

    private GgufFile(byte[] bytes, uint version, Dictionary<string, object> metadata, Dictionary<string, GgufTensorInfo> tensors, long dataStart)
    {
        _bytes = bytes;
        Version = version;
        Metadata = metadata;
        Tensors = tensors;
        DataStart = dataStart;
    }

    public uint Version { get; }

    public IReadOnlyDictionary<string, object> Metadata { get; }

    public IReadOnlyDictionary<string, GgufTensorInfo> Tensors { get; }

    public long DataStart { get; }

    public long Length => _bytes.Length;

    public static GgufFile Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        if (Encoding.ASCII.GetString(reader.ReadBytes(4)) != "GGUF")
        {
            throw new InvalidDataException("not a GGUF file");
        }

        uint version = reader.ReadUInt32();
        long tensorCount = (long)reader.ReadUInt64();
        long metadataCount = (long)reader.ReadUInt64();
        var metadata = new Dictionary<string, object>();
        for (long i = 0; i < metadataCount; i++)
        {
            string key = ReadString(reader);
            metadata[key] = ReadValue(reader, (GgufValueType)reader.ReadUInt32());
        }

        var tensors = new Dictionary<string, GgufTensorInfo>();
        for (long i = 0; i < tensorCount; i++)
        {
            string name = ReadString(reader);
            var dims = new long[reader.ReadUInt32()];
            for (int d = 0; d < dims.Length; d++)
            {
                dims[d] = (long)reader.ReadUInt64();
            }

            tensors.Add(name, new GgufTensorInfo(dims, (GgufTensorType)reader.ReadUInt32(), (long)reader.ReadUInt64()));
        }

        uint alignment = metadata.TryGetValue("general.alignment", out object? a) ? (uint)a : 32u;
        long dataStart = (reader.BaseStream.Position + alignment - 1) / alignment * alignment;
        return new GgufFile(bytes, version, metadata, tensors, dataStart);
    }

    /// <summary>Element at <paramref name="index"/> (ggml order: fastest dimension first), dequantized to f32.</summary>
    public float Value(string tensor, params long[] index)
    {
        GgufTensorInfo t = Tensors[tensor];
        long flat = 0;
        long stride = 1;
        for (int d = 0; d < t.Dims.Length; d++)
        {
            flat += index[d] * stride;
            stride *= t.Dims[d];
        }

        long start = DataStart + t.Offset;
        return t.Type switch
        {
            GgufTensorType.F32 => BitConverter.ToSingle(_bytes, (int)(start + flat * 4)),
            GgufTensorType.F16 => (float)BitConverter.ToHalf(_bytes, (int)(start + flat * 2)),
            GgufTensorType.Q8_0 => Q8Value(start, flat),
            _ => throw new NotSupportedException(t.Type.ToString()),
        };
    }

    private float Q8Value(long start, long flat)
    {
        // Blocks of 32: a little-endian f16 scale, then 32 signed bytes.
        long block = start + flat / 32 * 34;
        float scale = (float)BitConverter.ToHalf(_bytes, (int)block);
        return scale * (sbyte)_bytes[block + 2 + flat % 32];
    }

    private static string ReadString(BinaryReader reader) => Encoding.UTF8.GetString(reader.ReadBytes((int)reader.ReadUInt64()));

    private static object ReadValue(BinaryReader reader, GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => reader.ReadByte(),
        GgufValueType.Int8 => reader.ReadSByte(),
        GgufValueType.UInt16 => reader.ReadUInt16(),
        GgufValueType.Int16 => reader.ReadInt16(),
        GgufValueType.UInt32 => reader.ReadUInt32(),
        GgufValueType.Int32 => reader.ReadInt32(),
        GgufValueType.Float32 => reader.ReadSingle(),
        GgufValueType.Bool => reader.ReadByte() != 0,
        GgufValueType.String => ReadString(reader),
        GgufValueType.UInt64 => reader.ReadUInt64(),
        GgufValueType.Int64 => reader.ReadInt64(),
        GgufValueType.Float64 => reader.ReadDouble(),
        GgufValueType.Array => ReadArray(reader),
        _ => throw new InvalidDataException($"unknown GGUF value type {type}"),
    };

    private static object[] ReadArray(BinaryReader reader)
    {
        var type = (GgufValueType)reader.ReadUInt32();
        var values = new object[(long)reader.ReadUInt64()];
        for (long i = 0; i < values.Length; i++)
        {
            values[i] = ReadValue(reader, type);
        }

        return values;
    }
}
