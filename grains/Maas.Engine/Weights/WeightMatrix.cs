namespace Maas.Engine.Weights;

/// <summary>
/// A linear layer's weight [Rows = out features, Cols = in features], row-major in native memory,
/// kept in its storage format (F32, BF16 or FP8 with 128x128 block scales).
/// </summary>
public sealed unsafe class WeightMatrix : IDisposable
{
    public const int Fp8BlockSize = 128;

    private readonly NativeBuffer<byte> _data;
    private readonly NativeBuffer<float>? _scales;

    internal WeightMatrix(int rows, int cols, WeightFormat format)
    {
        Rows = rows;
        Cols = cols;
        Format = format;
        long bytes = (long)rows * cols * BytesPerElement(format);
        // Every constructor caller fills the whole matrix; zeroing first would touch gigabytes twice at load.
        _data = new NativeBuffer<byte>(bytes, zeroed: false);
        if (format == WeightFormat.Fp8Block128)
        {
            _scales = new NativeBuffer<float>((long)ScaleRows * ScaleCols);
        }
    }

    public int Rows { get; }

    public int Cols { get; }

    public WeightFormat Format { get; }

    public long ByteLength => _data.Length + (_scales?.Length ?? 0) * sizeof(float);

    internal int ScaleRows => (Rows + Fp8BlockSize - 1) / Fp8BlockSize;

    internal int ScaleCols => (Cols + Fp8BlockSize - 1) / Fp8BlockSize;

    internal byte* Data => _data.Pointer;

    /// <summary>FP8 only: [ScaleRows, ScaleCols] multipliers (the checkpoint's weight_scale_inv).</summary>
    internal float* Scales => _scales is null ? null : _scales.Pointer;

    internal static int BytesPerElement(WeightFormat format) => format switch
    {
        WeightFormat.F32 => 4,
        WeightFormat.Bf16 => 2,
        WeightFormat.Fp8Block128 => 1,
        _ => throw new NotSupportedException($"weight format {format}"),
    };

    /// <summary>Builds a matrix of the given format from f32 values (BF16 rounds to nearest even; FP8 quantizes per 128x128 block).</summary>
    internal static WeightMatrix FromF32(int rows, int cols, WeightFormat format, ReadOnlySpan<float> values)
    {
        if (values.Length != rows * cols)
        {
            throw new ArgumentException($"expected {rows * cols} values", nameof(values));
        }

        var matrix = new WeightMatrix(rows, cols, format);
        switch (format)
        {
            case WeightFormat.F32:
                values.CopyTo(new Span<float>(matrix.Data, rows * cols));
                break;
            case WeightFormat.Bf16:
                {
                    ushort* target = (ushort*)matrix.Data;
                    for (int i = 0; i < values.Length; i++)
                    {
                        target[i] = Checkpoints.Bf16.Encode(values[i]);
                    }

                    break;
                }

            default:
                {
                    float[] copy = values.ToArray();
                    Fp8BlockQuantizer.Quantize(rows, cols, (r, row) => copy.AsSpan(r * cols, cols).CopyTo(row), matrix.Data, matrix.Scales);
                    break;
                }
        }

        return matrix;
    }

    /// <summary>Dequantizes one row into <paramref name="target"/> (length Cols).</summary>
    internal void ReadRow(int row, Span<float> target)
    {
        if ((uint)row >= (uint)Rows || target.Length < Cols)
        {
            throw new ArgumentOutOfRangeException(nameof(row));
        }

        fixed (float* t = target)
        {
            Kernels.ScalarKernels.DequantizeRow(this, row, t);
        }
    }

    public void Dispose()
    {
        _data.Dispose();
        _scales?.Dispose();
    }
}
