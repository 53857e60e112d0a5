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

            default:
                throw new NotSupportedException($"weight format {w.Format}");
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
