namespace Maas.Engine.Checkpoints;

/// <summary>A read-only view of one tensor inside a memory-mapped safetensors file.</summary>
public readonly unsafe struct SafetensorsTensor
{
    internal SafetensorsTensor(string name, SafetensorsDtype dtype, string dtypeName, long[] shape, byte* data, long byteLength)
    {
        Name = name;
        Dtype = dtype;
        DtypeName = dtypeName;
        Shape = shape;
        Data = data;
        ByteLength = byteLength;
    }

    public string Name { get; }

    public SafetensorsDtype Dtype { get; }

    /// <summary>The dtype as written in the header (e.g. "BF16", "I64").</summary>
    public string DtypeName { get; }

    public IReadOnlyList<long> Shape { get; }

    /// <summary>Valid while the owning file is open.</summary>
    public byte* Data { get; }

    public long ByteLength { get; }

    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (long d in Shape)
            {
                n *= d;
            }

            return n;
        }
    }

    /// <summary>The raw data as elements of <typeparamref name="T"/> (its size must match the dtype's element size).</summary>
    public ReadOnlySpan<T> AsSpan<T>()
        where T : unmanaged
    {
        if (sizeof(T) != ElementSize(Dtype))
        {
            throw new InvalidOperationException($"tensor '{Name}' is {DtypeName}; cannot view it as {typeof(T).Name}");
        }

        return new ReadOnlySpan<T>(Data, checked((int)(ByteLength / sizeof(T))));
    }

    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

    public static int ElementSize(SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.F32 => 4,
        SafetensorsDtype.BF16 or SafetensorsDtype.F16 => 2,
        SafetensorsDtype.F8E4M3 => 1,
        _ => 0,
    };

    public static string DtypeText(SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.F32 => "F32",
        SafetensorsDtype.BF16 => "BF16",
        SafetensorsDtype.F16 => "F16",
        SafetensorsDtype.F8E4M3 => "F8_E4M3",
        _ => "?",
    };

    internal static (SafetensorsDtype Dtype, int Size) ParseDtype(string text) => text switch
    {
        "F32" => (SafetensorsDtype.F32, 4),
        "BF16" => (SafetensorsDtype.BF16, 2),
        "F16" => (SafetensorsDtype.F16, 2),
        "F8_E4M3" => (SafetensorsDtype.F8E4M3, 1),
        "F64" or "I64" or "U64" => (SafetensorsDtype.Other, 8),
        "I32" or "U32" => (SafetensorsDtype.Other, 4),
        "I16" or "U16" => (SafetensorsDtype.Other, 2),
        "I8" or "U8" or "BOOL" or "F8_E5M2" => (SafetensorsDtype.Other, 1),
        _ => (SafetensorsDtype.Other, 0),
    };
}
