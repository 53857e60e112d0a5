using System.Runtime.InteropServices;

namespace Maas.Engine.Weights;

/// <summary>
/// A linear layer's weight [Rows = out features, Cols = in features], row-major in native memory,
/// kept in its storage format (F32, BF16, FP8 with 128x128 block scales, or Q8 with per-row 128-column blocks,
/// stored in tiles of 16 interleaved rows: see <see cref="Q8BlockQuantizer.TileRows"/>).
/// </summary>
public sealed unsafe class WeightMatrix : IDisposable
{
    public const int Fp8BlockSize = 128;

    private readonly NativeBuffer<byte> _data;
    private readonly NativeBuffer<float>? _scales;
    private readonly NativeBuffer<int>? _q8Offsets;

    internal WeightMatrix(int rows, int cols, WeightFormat format)
    {
        Rows = rows;
        Cols = cols;
        Format = format;
        long bytes = format == WeightFormat.Q8Block128 ? (long)Q8PaddedRows * Q8BlockQuantizer.RowBytes(cols) : (long)rows * cols * BytesPerElement(format);
        // Every constructor caller fills the whole matrix; zeroing first would touch gigabytes twice at load.
        _data = new NativeBuffer<byte>(bytes, zeroed: false);
        if (format == WeightFormat.Fp8Block128)
        {
            _scales = new NativeBuffer<float>((long)ScaleRows * ScaleCols);
        }
        else if (format == WeightFormat.Q8Block128)
        {
            // The last tile's padding rows are interleaved with real rows: zero the whole tile (scales and offsets are zeroed).
            long tileBytes = Math.Min(bytes, (long)Q8BlockQuantizer.TileRows * Q8BlockQuantizer.RowBytes(cols));
            NativeMemory.Clear(_data.Pointer + bytes - tileBytes, (nuint)tileBytes);
            _scales = new NativeBuffer<float>((long)Q8PaddedRows * Q8Blocks);
            _q8Offsets = new NativeBuffer<int>((long)Q8PaddedRows * Q8Blocks);
        }
    }

    public int Rows { get; }

    public int Cols { get; }

    public WeightFormat Format { get; }

    /// <summary>Bytes a matmul reads: codes (with Q8 row padding), scales and Q8 block offsets.</summary>
    public long ByteLength => _data.Length + (_scales?.Length ?? 0) * sizeof(float) + (_q8Offsets?.Length ?? 0) * sizeof(int);

    internal int ScaleRows => (Rows + Fp8BlockSize - 1) / Fp8BlockSize;

    internal int ScaleCols => (Cols + Fp8BlockSize - 1) / Fp8BlockSize;

    /// <summary>Q8 only: 128-column blocks per row.</summary>
    internal int Q8Blocks => Q8BlockQuantizer.Blocks(Cols);

    /// <summary>Q8 only: codes per stored row (whole blocks).</summary>
    internal int Q8RowBytes => Q8BlockQuantizer.RowBytes(Cols);

    /// <summary>Q8 only: rows rounded up to whole tiles.</summary>
    internal int Q8PaddedRows => Q8BlockQuantizer.Tiles(Rows) * Q8BlockQuantizer.TileRows;

    internal byte* Data => _data.Pointer;

    /// <summary>FP8: [ScaleRows, ScaleCols] multipliers (the checkpoint's weight_scale_inv); Q8: [tile, Q8Blocks, 16].</summary>
    internal float* Scales => _scales is null ? null : _scales.Pointer;

    /// <summary>Q8 only: [tile, Q8Blocks, 16] of -128·Σcodes, the starting value of each block's int32 dot product.</summary>
    internal int* Q8Offsets => _q8Offsets is null ? null : _q8Offsets.Pointer;

    internal static int BytesPerElement(WeightFormat format) => format switch
    {
        WeightFormat.F32 => 4,
        WeightFormat.Bf16 => 2,
        WeightFormat.Fp8Block128 => 1,
        WeightFormat.Q8Block128 => 1,
        _ => throw new NotSupportedException($"weight format {format}"),
    };

    /// <summary>Builds a matrix of the given format from f32 values (BF16 rounds to nearest even; FP8 quantizes per 128x128 block, Q8 per row and 128 columns).</summary>
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

            case WeightFormat.Q8Block128:
                fixed (float* v = values)
                {
                    for (int r = 0; r < rows; r++)
                    {
                        matrix.QuantizeQ8Row(r, v + (long)r * cols);
                    }
                }

                break;
            default:
                {
                    float[] copy = values.ToArray();
                    Fp8BlockQuantizer.Quantize(rows, cols, (r, row) => copy.AsSpan(r * cols, cols).CopyTo(row), matrix.Data, matrix.Scales);
                    break;
                }
        }

        return matrix;
    }

    /// <summary>Q8 only: quantizes f32 values (length Cols) into row <paramref name="row"/> of its tile (rows may be filled in parallel).</summary>
    internal void QuantizeQ8Row(int row, float* values)
    {
        int rowBytes = Q8RowBytes, blocks = Q8Blocks;
        sbyte* codes = stackalloc sbyte[rowBytes];
        float* scales = stackalloc float[blocks];
        int* offsets = stackalloc int[blocks];
        Q8BlockQuantizer.QuantizeWeightRow(values, Cols, codes, scales, offsets);
        sbyte* target = (sbyte*)Data;
        for (int c = 0; c < rowBytes; c += 4)
        {
            *(int*)(target + Q8BlockQuantizer.CodeIndex(row, c, rowBytes)) = *(int*)(codes + c);
        }

        for (int b = 0; b < blocks; b++)
        {
            long index = Q8BlockQuantizer.BlockIndex(row, b, blocks);
            Scales[index] = scales[b];
            Q8Offsets[index] = offsets[b];
        }
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
        _q8Offsets?.Dispose();
    }
}
