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

    /// <summary>Codes per stored row (padded to whole blocks with zeros).</summary>
    public static int RowBytes(int cols) => Blocks(cols) * BlockSize;

    /// <summary>
    /// Weight rows stored together. A matrix is a sequence of tiles of 16 rows (the last padded with zero
    /// rows); inside a tile, each group of 4 consecutive columns holds 16 rows × 4 codes (64 bytes), so one
    /// 32-byte load gives vpdpbusd 4 inputs of 8 rows and the int32 sums land one row per lane: a block
    /// needs no horizontal reduction, only a convert and an FMA per 8 rows and token. Scales and offsets
    /// are [tile, block, 16].
    /// </summary>
    public const int TileRows = 16;

    /// <summary>Tiles of <see cref="TileRows"/> rows for <paramref name="rows"/> rows.</summary>
    public static int Tiles(int rows) => (rows + TileRows - 1) / TileRows;

    /// <summary>Position of code (row, col) in a tiled matrix of <paramref name="rowBytes"/> codes per row.</summary>
    public static long CodeIndex(int row, int col, int rowBytes) =>
        (long)(row / TileRows) * TileRows * rowBytes + (col >> 2) * (TileRows * 4) + (row % TileRows) * 4 + (col & 3);

    /// <summary>Position of the scale and offset of (row, block) in a tiled matrix of <paramref name="blocks"/> blocks per row.</summary>
    public static long BlockIndex(int row, int block, int blocks) =>
        (long)(row / TileRows) * TileRows * blocks + block * TileRows + row % TileRows;

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
}
