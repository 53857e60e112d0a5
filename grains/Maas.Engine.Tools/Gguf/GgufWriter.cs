using System.Text;

namespace Maas.Engine.Tools.Gguf;

/// <summary>
/// Writes a GGUF (version 3) file: metadata, tensor descriptions, then each tensor's data aligned to
/// 32 bytes. Tensors are described first and their bytes produced by a callback while writing, so a
/// multi-gigabyte export never holds more than one row in memory.
/// </summary>
public sealed class GgufWriter
{
    public const int Alignment = 32;

    private readonly List<(string Key, GgufValueType Type, object Value)> _metadata = [];
    private readonly List<GgufTensorEntry> _tensors = [];

    public void Add(string key, string value) => _metadata.Add((key, GgufValueType.String, value));

    public void Add(string key, uint value) => _metadata.Add((key, GgufValueType.UInt32, value));

    public void Add(string key, float value) => _metadata.Add((key, GgufValueType.Float32, value));

    public void Add(string key, bool value) => _metadata.Add((key, GgufValueType.Bool, value));

    public void Add(string key, IReadOnlyList<string> values) => _metadata.Add((key, GgufValueType.Array, values));

    public void Add(string key, IReadOnlyList<int> values) => _metadata.Add((key, GgufValueType.Array, values));

    /// <summary>
    /// Describes a tensor. <paramref name="dims"/> are in ggml order (fastest-varying first, the reverse of a
    /// row-major shape); <paramref name="write"/> must write exactly the tensor's bytes.
    /// </summary>
    public void AddTensor(string name, long[] dims, GgufTensorType type, Action<Stream> write)
    {
        long count = 1;
        foreach (long d in dims)
        {
            count *= d;
        }

        long bytes = type switch
        {
            GgufTensorType.F32 => count * 4,
            GgufTensorType.F16 => count * 2,
            GgufTensorType.Q8_0 when dims[0] % GgufQ8Block.Values == 0 => GgufQ8Block.SizeOf(count),
            GgufTensorType.Q8_0 => throw new ArgumentException($"tensor '{name}': Q8_0 needs a first dimension divisible by {GgufQ8Block.Values}, got {dims[0]}"),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
        };
        _tensors.Add(new GgufTensorEntry(name, dims, type, bytes, write));
    }

    public int TensorCount => _tensors.Count;

    public long DataBytes
    {
        get
        {
            long total = 0;
            foreach (GgufTensorEntry t in _tensors)
            {
                total += Align(t.Bytes);
            }

            return total;
        }
    }

    /// <param name="progress">Told the fraction of tensor data written after each tensor.</param>
    public void WriteTo(Stream stream, CancellationToken cancellationToken = default, IProgress<double>? progress = null)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write("GGUF"u8);
        writer.Write(3u);
        writer.Write((ulong)_tensors.Count);
        writer.Write((ulong)_metadata.Count);
        foreach ((string key, GgufValueType type, object value) in _metadata)
        {
            WriteString(writer, key);
            writer.Write((uint)type);
            WriteValue(writer, type, value);
        }

        long offset = 0;
        foreach (GgufTensorEntry t in _tensors)
        {
            WriteString(writer, t.Name);
            writer.Write((uint)t.Dims.Length);
            foreach (long d in t.Dims)
            {
                writer.Write((ulong)d);
            }

            writer.Write((uint)t.Type);
            writer.Write((ulong)offset);
            offset += Align(t.Bytes);
        }

        writer.Flush();
        Pad(stream);
        long done = 0;
        foreach (GgufTensorEntry t in _tensors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long start = stream.Position;
            t.Write(stream);
            long written = stream.Position - start;
            if (written != t.Bytes)
            {
                throw new InvalidOperationException($"tensor '{t.Name}': wrote {written} bytes, expected {t.Bytes}");
            }

            Pad(stream);
            done += Align(t.Bytes);
            progress?.Report(offset == 0 ? 1 : (double)done / offset);
        }
    }

    private static long Align(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;

    private static void Pad(Stream stream)
    {
        long padding = Align(stream.Position) - stream.Position;
        for (long i = 0; i < padding; i++)
        {
            stream.WriteByte(0);
        }
    }

    private static void WriteString(BinaryWriter writer, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        writer.Write((ulong)bytes.Length);
        writer.Write(bytes);
    }

    private static void WriteValue(BinaryWriter writer, GgufValueType type, object value)
    {
        switch (value)
        {
            case string s:
                WriteString(writer, s);
                break;
            case uint u:
                writer.Write(u);
                break;
            case float f:
                writer.Write(f);
                break;
            case bool b:
                writer.Write(b ? (byte)1 : (byte)0);
                break;
            case IReadOnlyList<string> strings:
                writer.Write((uint)GgufValueType.String);
                writer.Write((ulong)strings.Count);
                foreach (string s in strings)
                {
                    WriteString(writer, s);
                }

                break;
            case IReadOnlyList<int> ints:
                writer.Write((uint)GgufValueType.Int32);
                writer.Write((ulong)ints.Count);
                foreach (int i in ints)
                {
                    writer.Write(i);
                }

                break;
            default:
                throw new InvalidOperationException($"no GGUF encoding for {type} value {value.GetType().Name}");
        }
    }
}
