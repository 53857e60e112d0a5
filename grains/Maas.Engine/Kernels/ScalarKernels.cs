using Maas.Engine.Checkpoints;
using Maas.Engine.Weights;

namespace Maas.Engine.Kernels;

/// <summary>Plain-loop reference versions of every kernel; SIMD kernels are tested against these.</summary>
internal static unsafe class ScalarKernels
{
    public static void DequantizeRow(WeightMatrix w, int row, float* target)
    {
        int cols = w.Cols;
        switch (w.Format)
        {
            case WeightFormat.F32:
                {
                    float* p = (float*)w.Data + (long)row * cols;
                    for (int c = 0; c < cols; c++)
                    {
                        target[c] = p[c];
                    }

                    break;
                }

            case WeightFormat.Bf16:
                {
                    ushort* p = (ushort*)w.Data + (long)row * cols;
                    for (int c = 0; c < cols; c++)
                    {
                        target[c] = Bf16.Decode(p[c]);
                    }

                    break;
                }

            case WeightFormat.Fp8Block128:
                {
                    byte* p = w.Data + (long)row * cols;
                    float* scales = w.Scales + (row / WeightMatrix.Fp8BlockSize) * w.ScaleCols;
                    for (int c = 0; c < cols; c++)
                    {
                        target[c] = Fp8E4M3.Decode(p[c]) * scales[c / WeightMatrix.Fp8BlockSize];
                    }

                    break;
                }

            case WeightFormat.Q8Block128:
                {
                    sbyte* codes = (sbyte*)w.Data;
                    int rowBytes = w.Q8RowBytes, blocks = w.Q8Blocks;
                    for (int c = 0; c < cols; c++)
                    {
                        target[c] = codes[Q8BlockQuantizer.CodeIndex(row, c, rowBytes)] * w.Scales[Q8BlockQuantizer.BlockIndex(row, c / Q8BlockQuantizer.BlockSize, blocks)];
                    }

                    break;
                }

            default:
                throw new NotSupportedException($"weight format {w.Format}");
        }
    }

    /// <summary>
    /// One activation row to Q8: codes round(x·127/max|block|) in [-127, 127] (ties to even), plus 128 when
    /// <paramref name="unsignedCodes"/> (the u8 operand of vpdpbusd), padded with zero codes to whole blocks, and
    /// one scale max|block|/127 per block.
    /// </summary>
    public static void QuantizeActivationRow(float* x, int cols, byte* codes, float* scales, bool unsignedCodes = true)
    {
        int blocks = Q8BlockQuantizer.Blocks(cols);
        for (int b = 0; b < blocks; b++)
        {
            int start = b * Q8BlockQuantizer.BlockSize;
            QuantizeActivationBlock(x + start, Math.Min(cols - start, Q8BlockQuantizer.BlockSize), codes + start, scales + b, unsignedCodes);
        }
    }

    /// <summary>One block of <paramref name="count"/> ≤ 128 values; codes past count are zero (128 unsigned).</summary>
    public static void QuantizeActivationBlock(float* x, int count, byte* codes, float* scale, bool unsignedCodes = true)
    {
        float amax = 0;
        for (int c = 0; c < count; c++)
        {
            amax = MathF.Max(amax, MathF.Abs(x[c]));
        }

        float inverse = amax > 0 ? 127f / amax : 0f;
        *scale = amax / 127f;
        int bias = unsignedCodes ? 128 : 0;
        for (int c = 0; c < count; c++)
        {
            codes[c] = (byte)(Math.Clamp((int)MathF.Round(x[c] * inverse), -127, 127) + bias);
        }

        for (int c = count; c < Q8BlockQuantizer.BlockSize; c++)
        {
            codes[c] = (byte)bias;
        }
    }

    /// <summary>
    /// The Q8 dot product of one activation row (codes + 128, one scale per block) with row
    /// <paramref name="lane"/> of a Q8 tile (<see cref="Q8BlockQuantizer.TileRows"/> interleaved rows):
    /// per block an exact int32 sum starting at the block offset (which cancels the +128), times
    /// wScale·aScale, summed in block order.
    /// </summary>
    public static float DotQ8(byte* a, float* aScales, sbyte* tile, float* tileScales, int* tileOffsets, int lane, int blocks)
    {
        int rowBytes = blocks * Q8BlockQuantizer.BlockSize;
        float sum = 0;
        for (int b = 0; b < blocks; b++)
        {
            long block = Q8BlockQuantizer.BlockIndex(lane, b, blocks);
            int dot = tileOffsets[block];
            int start = b * Q8BlockQuantizer.BlockSize;
            for (int c = start; c < start + Q8BlockQuantizer.BlockSize; c++)
            {
                dot += a[c] * tile[Q8BlockQuantizer.CodeIndex(lane, c, rowBytes)];
            }

            sum += dot * (tileScales[block] * aScales[b]);
        }

        return sum;
    }

    /// <summary><see cref="DotQ8(byte*, float*, sbyte*, float*, int*, int, int)"/> for row <paramref name="row"/> of a Q8 matrix.</summary>
    public static float DotQ8(byte* a, float* aScales, WeightMatrix w, int row)
    {
        int tile = row / Q8BlockQuantizer.TileRows, blocks = w.Q8Blocks;
        long tileBlocks = (long)tile * Q8BlockQuantizer.TileRows * blocks;
        return DotQ8(a, aScales, (sbyte*)w.Data + (long)tile * Q8BlockQuantizer.TileRows * w.Q8RowBytes, w.Scales + tileBlocks, w.Q8Offsets + tileBlocks, row % Q8BlockQuantizer.TileRows, blocks);
    }

    public static void WidenBf16Row(ushort* source, int n, float* target)
    {
        for (int i = 0; i < n; i++)
        {
            target[i] = Bf16.Decode(source[i]);
        }
    }

    /// <summary>One row of FP8 codes times its 128-column block scales.</summary>
    public static void DequantizeFp8Row(byte* codes, float* blockScales, int n, float* target)
    {
        for (int i = 0; i < n; i++)
        {
            target[i] = Fp8E4M3.Decode(codes[i]) * blockScales[i / WeightMatrix.Fp8BlockSize];
        }
    }

    public static float Dot(float* a, float* b, int n)
    {
        float sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    public static float DotBf16(float* a, ushort* b, int n)
    {
        float sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += a[i] * Bf16.Decode(b[i]);
        }

        return sum;
    }

    /// <summary>y += a·x.</summary>
    public static void Axpy(float* y, float a, float* x, int n)
    {
        for (int i = 0; i < n; i++)
        {
            y[i] += a * x[i];
        }
    }

    public static void AxpyBf16(float* y, float a, ushort* x, int n)
    {
        for (int i = 0; i < n; i++)
        {
            y[i] += a * Bf16.Decode(x[i]);
        }
    }

    /// <summary>y[t, o] = Σ_i x[t, i] · W[o, i] for t in [0, rows).</summary>
    public static void MatMul(float* x, int xStride, int rows, WeightMatrix w, float* y, int yStride)
    {
        if (w.Format == WeightFormat.Q8Block128)
        {
            MatMulQ8(x, xStride, rows, w, y, yStride);
            return;
        }

        var row = new float[w.Cols];
        fixed (float* r = row)
        {
            for (int o = 0; o < w.Rows; o++)
            {
                DequantizeRow(w, o, r);
                for (int t = 0; t < rows; t++)
                {
                    y[(long)t * yStride + o] = Dot(x + (long)t * xStride, r, w.Cols);
                }
            }
        }
    }

    /// <summary>Q8 weights: activations are quantized per token and 128-column block, then integer dot products.</summary>
    private static void MatMulQ8(float* x, int xStride, int rows, WeightMatrix w, float* y, int yStride)
    {
        int rowBytes = w.Q8RowBytes, blocks = w.Q8Blocks;
        var codes = new byte[rows * rowBytes];
        var scales = new float[rows * blocks];
        fixed (byte* a = codes)
        fixed (float* s = scales)
        {
            for (int t = 0; t < rows; t++)
            {
                QuantizeActivationRow(x + (long)t * xStride, w.Cols, a + (long)t * rowBytes, s + (long)t * blocks);
            }

            for (int o = 0; o < w.Rows; o++)
            {
                for (int t = 0; t < rows; t++)
                {
                    y[(long)t * yStride + o] = DotQ8(a + (long)t * rowBytes, s + (long)t * blocks, w, o);
                }
            }
        }
    }

    /// <summary>y[t, o] = Σ_i x[t, i]·W[i, o] for outputs [first, last) of an f32 or BF16 input-major W [in, out].</summary>
    public static void MatMulInputMajor(float* x, int xStride, int rows, WeightMatrix w, float* y, int yStride, int first, int last)
    {
        switch (w.Format)
        {
            case WeightFormat.F32:
                MatMulInputMajor(x, xStride, rows, (float*)w.Data, w.Rows, w.Cols, y, yStride, first, last);
                break;
            case WeightFormat.Bf16:
                MatMulInputMajorBf16(x, xStride, rows, (ushort*)w.Data, w.Rows, w.Cols, y, yStride, first, last);
                break;
            default:
                throw new NotSupportedException("input-major matmuls take f32 or BF16 weights");
        }
    }

    public static void MatMulInputMajorBf16(float* x, int xStride, int rows, ushort* w, int inputs, int outputs, float* y, int yStride, int first, int last)
    {
        for (int t = 0; t < rows; t++)
        {
            for (int o = first; o < last; o++)
            {
                float sum = 0;
                for (int i = 0; i < inputs; i++)
                {
                    sum += x[(long)t * xStride + i] * Bf16.Decode(w[(long)i * outputs + o]);
                }

                y[(long)t * yStride + o] = sum;
            }
        }
    }

    public static void MatMulInputMajor(float* x, int xStride, int rows, float* w, int inputs, int outputs, float* y, int yStride, int first, int last)
    {
        for (int t = 0; t < rows; t++)
        {
            for (int o = first; o < last; o++)
            {
                float sum = 0;
                for (int i = 0; i < inputs; i++)
                {
                    sum += x[(long)t * xStride + i] * w[(long)i * outputs + o];
                }

                y[(long)t * yStride + o] = sum;
            }
        }
    }

    /// <summary>y[t, o] += Σ_i x[t, i]·w[i·wStride + o] with w f32 or BF16.</summary>
    public static void AccumulateInputMajor(float* x, int xStride, int rows, void* w, bool bf16, int wStride, int inputs, float* y, int yStride, int outputs)
    {
        for (int t = 0; t < rows; t++)
        {
            for (int o = 0; o < outputs; o++)
            {
                float sum = y[(long)t * yStride + o];
                for (int i = 0; i < inputs; i++)
                {
                    long index = (long)i * wStride + o;
                    sum += x[(long)t * xStride + i] * (bf16 ? Bf16.Decode(((ushort*)w)[index]) : ((float*)w)[index]);
                }

                y[(long)t * yStride + o] = sum;
            }
        }
    }

    public static void RmsNorm(float* x, float* weight, float eps, float* y, int n)
    {
        float sumSquares = 0;
        for (int i = 0; i < n; i++)
        {
            sumSquares += x[i] * x[i];
        }

        float inv = 1f / MathF.Sqrt(sumSquares / n + eps);
        for (int i = 0; i < n; i++)
        {
            y[i] = x[i] * inv * weight[i];
        }
    }

    public static void SiluMul(float* gate, float* up, int n)
    {
        for (int i = 0; i < n; i++)
        {
            float g = gate[i];
            gate[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }

    public static void Softmax(float* x, int n)
    {
        float max = float.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            max = MathF.Max(max, x[i]);
        }

        float sum = 0;
        for (int i = 0; i < n; i++)
        {
            x[i] = MathF.Exp(x[i] - max);
            sum += x[i];
        }

        float inv = 1f / sum;
        for (int i = 0; i < n; i++)
        {
            x[i] *= inv;
        }
    }

    public static void Add(float* y, float* x, int n)
    {
        for (int i = 0; i < n; i++)
        {
            y[i] += x[i];
        }
    }

    /// <summary>
    /// <see cref="Rope"/> over every head of every token row; row t uses the cos/sin table row t
    /// (dim/2 values each), i.e. its own position.
    /// </summary>
    public static void RopeRows(float* x, int xStride, int rows, int heads, int headStride, int dim, float* cos, float* sin)
    {
        int half = dim / 2;
        for (int t = 0; t < rows; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                Rope(x + (long)t * xStride + (long)h * headStride, cos + (long)t * half, sin + (long)t * half, dim);
            }
        }
    }

    /// <summary>DeepSeek's de-interleaved RoPE: pairs (2i, 2i+1) rotate by frequency i, stored as [evens'; odds'].</summary>
    public static void Rope(float* x, float* cos, float* sin, int dim)
    {
        int half = dim / 2;
        Span<float> rotated = stackalloc float[dim];
        for (int i = 0; i < half; i++)
        {
            float a = x[2 * i];
            float b = x[2 * i + 1];
            rotated[i] = a * cos[i] - b * sin[i];
            rotated[i + half] = b * cos[i] + a * sin[i];
        }

        for (int i = 0; i < dim; i++)
        {
            x[i] = rotated[i];
        }
    }
}
