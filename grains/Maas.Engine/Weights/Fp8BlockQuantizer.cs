using Maas.Engine.Checkpoints;

namespace Maas.Engine.Weights;

/// <summary>Quantizes an f32 matrix to FP8 E4M3 with one scale (amax / 448) per 128x128 block.</summary>
public static unsafe class Fp8BlockQuantizer
{
    public delegate void RowSource(int row, Span<float> target);

    /// <summary>Writes codes [rows, cols] and scales [ceil(rows/128), ceil(cols/128)] (dequantized = code value × scale).</summary>
    public static void Quantize(int rows, int cols, RowSource source, byte* codes, float* scales)
    {
        const int block = WeightMatrix.Fp8BlockSize;
        int scaleCols = (cols + block - 1) / block;
        var band = new float[(long)Math.Min(block, rows) * cols];
        var amax = new float[scaleCols];
        for (int r0 = 0; r0 < rows; r0 += block)
        {
            int bandRows = Math.Min(block, rows - r0);
            Array.Clear(amax);
            for (int r = 0; r < bandRows; r++)
            {
                Span<float> row = band.AsSpan(r * cols, cols);
                source(r0 + r, row);
                for (int c = 0; c < cols; c++)
                {
                    amax[c / block] = Math.Max(amax[c / block], Math.Abs(row[c]));
                }
            }

            float* scaleRow = scales + (r0 / block) * scaleCols;
            for (int b = 0; b < scaleCols; b++)
            {
                scaleRow[b] = amax[b] > 0 ? amax[b] / Fp8E4M3.MaxValue : 1f;
            }

            for (int r = 0; r < bandRows; r++)
            {
                byte* target = codes + (long)(r0 + r) * cols;
                for (int c = 0; c < cols; c++)
                {
                    target[c] = Fp8E4M3.Encode(band[r * cols + c] / scaleRow[c / block]);
                }
            }
        }
    }

    /// <summary>Managed convenience for writers and tests: returns (codes, scales) of a row-major matrix.</summary>
    public static (byte[] Codes, float[] Scales) Quantize(int rows, int cols, float[] values)
    {
        var codes = new byte[(long)rows * cols];
        var scales = new float[((rows + 127) / 128) * ((cols + 127) / 128)];
        fixed (byte* c = codes)
        fixed (float* s = scales)
        {
            Quantize(rows, cols, (r, row) => values.AsSpan(r * cols, cols).CopyTo(row), c, s);
        }

        return (codes, scales);
    }
}
