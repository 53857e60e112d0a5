namespace Maas.Engine.Weights;

/// <summary>
/// Symmetric 8-bit quantization in blocks of 128 values, shared by weights (signed codes) and
/// activations (the same codes + 128, unsigned, for vpdpbusd). Codes are round-to-nearest-even of
/// value·127/max|block|, so the per-value error is at most scale/2 = max|block|/254.
/// </summary>
public static unsafe class Q8BlockQuantizer
{
    public const int BlockSize = 128;

    /// <summary>Blocks per row of <paramref name="cols"/> values.</summary>
    public static int Blocks(int cols) => (cols + BlockSize - 1) / BlockSize;

    /// <summary>Bytes per stored row (padded to whole blocks, so every row is 64-byte aligned).</summary>
    public static int RowBytes(int cols) => Blocks(cols) * BlockSize;

    /// <summary>
    /// Quantizes one row to signed codes (padded to <see cref="RowBytes"/> with zeros), one scale per
    /// block and the block offset -128·Σcode (what the kernel subtracts for the +128 activation bias).
    /// </summary>
    public static void QuantizeWeightRow(float* values, int cols, sbyte* codes, float* scales, int* offsets)
    {
        int blocks = Blocks(cols);
        for (int b = 0; b < blocks; b++)
        {
            int start = b * BlockSize;
            int end = Math.Min(cols, start + BlockSize);
            float amax = 0;
            for (int c = start; c < end; c++)
            {
                amax = MathF.Max(amax, MathF.Abs(values[c]));
            }

            float inverse = amax > 0 ? 127f / amax : 0f;
            scales[b] = amax / 127f;
            int sum = 0;
            for (int c = start; c < end; c++)
            {
                int q = Math.Clamp((int)MathF.Round(values[c] * inverse), -127, 127);
                codes[c] = (sbyte)q;
                sum += q;
            }

            for (int c = end; c < start + BlockSize; c++)
            {
                codes[c] = 0;
            }

            offsets[b] = -128 * sum;
        }
    }

    /// <summary>Managed convenience for tests: (codes [rows, RowBytes], scales [rows, Blocks]) of a row-major matrix.</summary>
    public static (sbyte[] Codes, float[] Scales) Quantize(int rows, int cols, float[] values)
    {
        int rowBytes = RowBytes(cols), blocks = Blocks(cols);
        var codes = new sbyte[(long)rows * rowBytes];
        var scales = new float[rows * blocks];
        var offsets = new int[blocks];
        fixed (float* v = values)
        fixed (sbyte* c = codes)
        fixed (float* s = scales)
        fixed (int* o = offsets)
        {
            for (int r = 0; r < rows; r++)
            {
                QuantizeWeightRow(v + (long)r * cols, cols, c + (long)r * rowBytes, s + (long)r * blocks, o);
            }
        }

        return (codes, scales);
    }
}
