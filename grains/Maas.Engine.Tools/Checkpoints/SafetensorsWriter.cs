using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using Maas.Engine.Checkpoints;

namespace Maas.Engine.Tools.Checkpoints;

/// <summary>
/// Writes a .safetensors file. Tensor data is produced only while writing, one tensor at a time,
/// so a large random checkpoint never has to sit in memory whole.
/// </summary>
public sealed class SafetensorsWriter
{
    private readonly List<PendingTensor> _tensors = [];

    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds a tensor whose bytes <paramref name="fill"/> writes into the span it is given (exactly the tensor's size).</summary>
    public void Add(string name, string dtype, IReadOnlyList<long> shape, Action<Span<byte>> fill)
    {
        (_, int size) = SafetensorsTensor.ParseDtype(dtype);
        if (size == 0)
        {
            throw new ArgumentException($"unknown safetensors dtype '{dtype}'", nameof(dtype));
        }

        long count = 1;
        foreach (long d in shape)
        {
            count *= d;
        }

        _tensors.Add(new PendingTensor(name, dtype, shape.ToArray(), count * size, fill));
    }

    public void AddF32(string name, IReadOnlyList<long> shape, float[] values) =>
        Add(name, "F32", shape, span => MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(span));

    /// <summary>Stores float values rounded to BF16 (nearest even).</summary>
    public void AddBf16(string name, IReadOnlyList<long> shape, float[] values) =>
        Add(name, "BF16", shape, span =>
        {
            Span<ushort> target = MemoryMarshal.Cast<byte, ushort>(span);
            for (int i = 0; i < values.Length; i++)
            {
                target[i] = Bf16.Encode(values[i]);
            }
        });

    public void AddBf16Bits(string name, IReadOnlyList<long> shape, ushort[] bits) =>
        Add(name, "BF16", shape, span => MemoryMarshal.AsBytes(bits.AsSpan()).CopyTo(span));

    public void AddFp8(string name, IReadOnlyList<long> shape, byte[] codes) =>
        Add(name, "F8_E4M3", shape, span => codes.AsSpan().CopyTo(span));

    /// <param name="progress">Told the fraction of tensor bytes written after each tensor.</param>
    public void Write(string path, IProgress<double>? progress = null)
    {
        long offset = 0;
        using var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (Metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach (KeyValuePair<string, string> entry in Metadata)
                {
                    json.WriteString(entry.Key, entry.Value);
                }

                json.WriteEndObject();
            }

            foreach (PendingTensor tensor in _tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.Dtype);
                json.WriteStartArray("shape");
                foreach (long d in tensor.Shape)
                {
                    json.WriteNumberValue(d);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + tensor.ByteLength);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += tensor.ByteLength;
            }

            json.WriteEndObject();
        }

        // Pad the header with spaces to 8 bytes so tensor data stays aligned, as the reference writer does.
        while (header.Length % 8 != 0)
        {
            header.WriteByte((byte)' ');
        }

        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        header.Position = 0;
        header.CopyTo(stream);
        long written = 0;
        foreach (PendingTensor tensor in _tensors)
        {
            var buffer = new byte[tensor.ByteLength];
            tensor.Fill(buffer);
            stream.Write(buffer);
            written += tensor.ByteLength;
            progress?.Report(offset == 0 ? 1 : (double)written / offset);
        }
    }

    private sealed record PendingTensor(string Name, string Dtype, long[] Shape, long ByteLength, Action<Span<byte>> Fill);
}
