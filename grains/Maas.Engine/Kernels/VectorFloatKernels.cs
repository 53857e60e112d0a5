using System.Runtime.CompilerServices;
using Maas.Engine.Checkpoints;
using Maas.Engine.Kernels.Vectors;
using Maas.Engine.Weights;

namespace Maas.Engine.Kernels;

/// <summary>
/// <see cref="FloatKernels"/> written once for every vector width: <typeparamref name="TOps"/> is
/// <see cref="VectorOps128"/>, <see cref="VectorOps256"/> or <see cref="VectorOps512"/>, and the JIT compiles one
/// copy per width. Tails shorter than a vector fall back to scalar loops.
/// </summary>
/// <remarks>
/// Every kernel is AggressiveOptimization: it is jitted fully optimized on first use instead of running tier-0
/// code (a call per vector operation) until tiering catches up; a tier-0 SiluMul once cost 0.6 ms per MoE layer.
/// </remarks>
internal sealed unsafe class VectorFloatKernels<TOps, TVec> : FloatKernels
    where TOps : struct, IVectorOps<TVec>
    where TVec : struct
{
    public static readonly VectorFloatKernels<TOps, TVec> Instance = new();

    // E4M3 bits placed in an f32's exponent/mantissa field (sign<<24, rest<<20) are the value × 2^-120.
    private const float Fp8Rebias = 1.329228e36f; // 2^120

    private VectorFloatKernels()
    {
    }

    public override string Path => TOps.Name;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override float Dot(float* a, float* b, int n)
    {
        int c = TOps.Count;
        TVec acc0 = TOps.Zero, acc1 = acc0;
        int i = 0;
        for (; i + 2 * c <= n; i += 2 * c)
        {
            acc0 = TOps.MultiplyAdd(TOps.Load(a + i), TOps.Load(b + i), acc0);
            acc1 = TOps.MultiplyAdd(TOps.Load(a + i + c), TOps.Load(b + i + c), acc1);
        }

        for (; i + c <= n; i += c)
        {
            acc0 = TOps.MultiplyAdd(TOps.Load(a + i), TOps.Load(b + i), acc0);
        }

        float sum = TOps.Sum(TOps.Add(acc0, acc1));
        for (; i < n; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override float DotBf16(float* a, ushort* b, int n)
    {
        int c = TOps.Count;
        TVec acc0 = TOps.Zero, acc1 = acc0;
        int i = 0;
        for (; i + 2 * c <= n; i += 2 * c)
        {
            acc0 = TOps.MultiplyAdd(TOps.Load(a + i), TOps.LoadBf16(b + i), acc0);
            acc1 = TOps.MultiplyAdd(TOps.Load(a + i + c), TOps.LoadBf16(b + i + c), acc1);
        }

        float sum = TOps.Sum(TOps.Add(acc0, acc1));
        for (; i < n; i++)
        {
            sum += a[i] * Bf16.Decode(b[i]);
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Dot4(float* w, float* x, long xStride, int n, float* result)
    {
        int c = TOps.Count;
        float* x0 = x, x1 = x + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        // Two accumulators per token (a*, b*) so the FMA latency chains overlap.
        TVec a0 = TOps.Zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int i = 0;
        for (; i + 2 * c <= n; i += 2 * c)
        {
            TVec wv = TOps.Load(w + i), wu = TOps.Load(w + i + c);
            a0 = TOps.MultiplyAdd(TOps.Load(x0 + i), wv, a0);
            a1 = TOps.MultiplyAdd(TOps.Load(x1 + i), wv, a1);
            a2 = TOps.MultiplyAdd(TOps.Load(x2 + i), wv, a2);
            a3 = TOps.MultiplyAdd(TOps.Load(x3 + i), wv, a3);
            b0 = TOps.MultiplyAdd(TOps.Load(x0 + i + c), wu, b0);
            b1 = TOps.MultiplyAdd(TOps.Load(x1 + i + c), wu, b1);
            b2 = TOps.MultiplyAdd(TOps.Load(x2 + i + c), wu, b2);
            b3 = TOps.MultiplyAdd(TOps.Load(x3 + i + c), wu, b3);
        }

        for (; i + c <= n; i += c)
        {
            TVec wv = TOps.Load(w + i);
            a0 = TOps.MultiplyAdd(TOps.Load(x0 + i), wv, a0);
            a1 = TOps.MultiplyAdd(TOps.Load(x1 + i), wv, a1);
            a2 = TOps.MultiplyAdd(TOps.Load(x2 + i), wv, a2);
            a3 = TOps.MultiplyAdd(TOps.Load(x3 + i), wv, a3);
        }

        float s0 = TOps.Sum(TOps.Add(a0, b0)), s1 = TOps.Sum(TOps.Add(a1, b1)), s2 = TOps.Sum(TOps.Add(a2, b2)), s3 = TOps.Sum(TOps.Add(a3, b3));
        for (; i < n; i++)
        {
            float wi = w[i];
            s0 += x0[i] * wi;
            s1 += x1[i] * wi;
            s2 += x2[i] * wi;
            s3 += x3[i] * wi;
        }

        result[0] = s0;
        result[1] = s1;
        result[2] = s2;
        result[3] = s3;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Dot4Bf16(ushort* w, float* x, long xStride, int n, float* result)
    {
        int c = TOps.Count;
        float* x0 = x, x1 = x + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        TVec a0 = TOps.Zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int i = 0;
        for (; i + 2 * c <= n; i += 2 * c)
        {
            TVec lo = TOps.LoadBf16(w + i), hi = TOps.LoadBf16(w + i + c);
            a0 = TOps.MultiplyAdd(TOps.Load(x0 + i), lo, a0);
            a1 = TOps.MultiplyAdd(TOps.Load(x1 + i), lo, a1);
            a2 = TOps.MultiplyAdd(TOps.Load(x2 + i), lo, a2);
            a3 = TOps.MultiplyAdd(TOps.Load(x3 + i), lo, a3);
            b0 = TOps.MultiplyAdd(TOps.Load(x0 + i + c), hi, b0);
            b1 = TOps.MultiplyAdd(TOps.Load(x1 + i + c), hi, b1);
            b2 = TOps.MultiplyAdd(TOps.Load(x2 + i + c), hi, b2);
            b3 = TOps.MultiplyAdd(TOps.Load(x3 + i + c), hi, b3);
        }

        float s0 = TOps.Sum(TOps.Add(a0, b0)), s1 = TOps.Sum(TOps.Add(a1, b1)), s2 = TOps.Sum(TOps.Add(a2, b2)), s3 = TOps.Sum(TOps.Add(a3, b3));
        for (; i < n; i++)
        {
            float wi = Bf16.Decode(w[i]);
            s0 += x0[i] * wi;
            s1 += x1[i] * wi;
            s2 += x2[i] * wi;
            s3 += x3[i] * wi;
        }

        result[0] = s0;
        result[1] = s1;
        result[2] = s2;
        result[3] = s3;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Axpy(float* y, float a, float* x, int n)
    {
        int c = TOps.Count;
        TVec va = TOps.Broadcast(a);
        int i = 0;
        for (; i + c <= n; i += c)
        {
            TOps.Store(TOps.MultiplyAdd(va, TOps.Load(x + i), TOps.Load(y + i)), y + i);
        }

        for (; i < n; i++)
        {
            y[i] += a * x[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void AxpyBf16(float* y, float a, ushort* x, int n)
    {
        int c = TOps.Count;
        TVec va = TOps.Broadcast(a);
        int i = 0;
        for (; i + c <= n; i += c)
        {
            TOps.Store(TOps.MultiplyAdd(va, TOps.LoadBf16(x + i), TOps.Load(y + i)), y + i);
        }

        for (; i < n; i++)
        {
            y[i] += a * Bf16.Decode(x[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void AxpyBf16x4(float* y, long yStride, float* a, ushort* x, int n)
    {
        int c = TOps.Count;
        float* y0 = y, y1 = y + yStride, y2 = y1 + yStride, y3 = y2 + yStride;
        TVec a0 = TOps.Broadcast(a[0]), a1 = TOps.Broadcast(a[1]), a2 = TOps.Broadcast(a[2]), a3 = TOps.Broadcast(a[3]);
        int i = 0;
        for (; i + c <= n; i += c)
        {
            TVec v = TOps.LoadBf16(x + i);
            TOps.Store(TOps.MultiplyAdd(a0, v, TOps.Load(y0 + i)), y0 + i);
            TOps.Store(TOps.MultiplyAdd(a1, v, TOps.Load(y1 + i)), y1 + i);
            TOps.Store(TOps.MultiplyAdd(a2, v, TOps.Load(y2 + i)), y2 + i);
            TOps.Store(TOps.MultiplyAdd(a3, v, TOps.Load(y3 + i)), y3 + i);
        }

        for (; i < n; i++)
        {
            float xi = Bf16.Decode(x[i]);
            y0[i] += a[0] * xi;
            y1[i] += a[1] * xi;
            y2[i] += a[2] * xi;
            y3[i] += a[3] * xi;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void WidenBf16Row(ushort* source, int n, float* target)
    {
        int c = TOps.Count;
        int i = 0;
        for (; i + c <= n; i += c)
        {
            TOps.Store(TOps.LoadBf16(source + i), target + i);
        }

        for (; i < n; i++)
        {
            target[i] = Bf16.Decode(source[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void DequantizeFp8Row(byte* codes, float* blockScales, int n, float* target)
    {
        int c = TOps.Count;
        int i = 0;
        for (; i + c <= n; i += c)
        {
            // A vector never straddles a 128-column block: i is a multiple of the lane count, which divides 128.
            TVec scale = TOps.Broadcast(blockScales[i / WeightMatrix.Fp8BlockSize] * Fp8Rebias);
            TOps.Store(TOps.Multiply(TOps.LoadFp8Rebiased(codes + i), scale), target + i);
        }

        ReadOnlySpan<float> table = Fp8E4M3.Table;
        for (; i < n; i++)
        {
            target[i] = table[codes[i]] * blockScales[i / WeightMatrix.Fp8BlockSize];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void MatMulInputMajor(float* x, int xStride, int rows, float* w, int inputs, int outputs, float* y, int yStride, int first, int last)
    {
        int o = InputMajor<float, F32Elements>(x, xStride, rows, w, inputs, outputs, y, yStride, first, last);
        ScalarKernels.MatMulInputMajor(x, xStride, rows, w, inputs, outputs, y, yStride, o, last);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void MatMulInputMajorBf16(float* x, int xStride, int rows, ushort* w, int inputs, int outputs, float* y, int yStride, int first, int last)
    {
        int o = InputMajor<ushort, Bf16Elements>(x, xStride, rows, w, inputs, outputs, y, yStride, first, last);
        ScalarKernels.MatMulInputMajorBf16(x, xStride, rows, w, inputs, outputs, y, yStride, o, last);
    }

    /// <summary>
    /// Whole register tiles of outputs from <paramref name="first"/>: 4 vectors × 4 tokens (16 accumulators) with 32
    /// registers, else 2 vectors × 4 tokens; returns where the scalar tail starts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int InputMajor<TElement, TElements>(float* x, int xStride, int rows, TElement* w, int inputs, int outputs, float* y, int yStride, int first, int last)
        where TElement : unmanaged
        where TElements : struct, IElements<TElement>
    {
        int c = TOps.Count;
        int width = TOps.WideRegisterFile ? 4 * c : 2 * c;
        int o = first;
        for (; o + width <= last; o += width)
        {
            int t = 0;
            for (; t + 4 <= rows; t += 4)
            {
                if (TOps.WideRegisterFile)
                {
                    InputMajorTile4x4<TElement, TElements>(x + (long)t * xStride, xStride, w + o, inputs, outputs, y + (long)t * yStride + o, yStride);
                }
                else
                {
                    InputMajorTile4x2<TElement, TElements>(x + (long)t * xStride, xStride, w + o, inputs, outputs, y + (long)t * yStride + o, yStride);
                }
            }

            for (; t < rows; t++)
            {
                InputMajorRow<TElement, TElements>(x + (long)t * xStride, w + o, inputs, outputs, width, y + (long)t * yStride + o);
            }
        }

        return o;
    }

    /// <summary>One token, <paramref name="width"/> (2 or 4 vectors) outputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputMajorRow<TElement, TElements>(float* x, TElement* w, int inputs, int outputs, int width, float* y)
        where TElement : unmanaged
        where TElements : struct, IElements<TElement>
    {
        int c = TOps.Count;
        for (int v = 0; v < width; v += 2 * c)
        {
            TVec a0 = TOps.Zero, a1 = a0;
            for (int i = 0; i < inputs; i++)
            {
                TElement* wi = w + (long)i * outputs + v;
                TVec xb = TOps.Broadcast(x[i]);
                a0 = TOps.MultiplyAdd(xb, TElements.Load(wi), a0);
                a1 = TOps.MultiplyAdd(xb, TElements.Load(wi + c), a1);
            }

            TOps.Store(a0, y + v);
            TOps.Store(a1, y + v + c);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputMajorTile4x2<TElement, TElements>(float* x, int xStride, TElement* w, int inputs, int outputs, float* y, int yStride)
        where TElement : unmanaged
        where TElements : struct, IElements<TElement>
    {
        int c = TOps.Count;
        float* x1 = x + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        TVec a00 = TOps.Zero, a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int i = 0; i < inputs; i++)
        {
            TElement* wi = w + (long)i * outputs;
            TVec w0 = TElements.Load(wi), w1 = TElements.Load(wi + c);
            TVec b = TOps.Broadcast(x[i]);
            a00 = TOps.MultiplyAdd(b, w0, a00);
            a01 = TOps.MultiplyAdd(b, w1, a01);
            b = TOps.Broadcast(x1[i]);
            a10 = TOps.MultiplyAdd(b, w0, a10);
            a11 = TOps.MultiplyAdd(b, w1, a11);
            b = TOps.Broadcast(x2[i]);
            a20 = TOps.MultiplyAdd(b, w0, a20);
            a21 = TOps.MultiplyAdd(b, w1, a21);
            b = TOps.Broadcast(x3[i]);
            a30 = TOps.MultiplyAdd(b, w0, a30);
            a31 = TOps.MultiplyAdd(b, w1, a31);
        }

        float* y1 = y + yStride, y2 = y1 + yStride, y3 = y2 + yStride;
        TOps.Store(a00, y);
        TOps.Store(a01, y + c);
        TOps.Store(a10, y1);
        TOps.Store(a11, y1 + c);
        TOps.Store(a20, y2);
        TOps.Store(a21, y2 + c);
        TOps.Store(a30, y3);
        TOps.Store(a31, y3 + c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputMajorTile4x4<TElement, TElements>(float* x, int xStride, TElement* w, int inputs, int outputs, float* y, int yStride)
        where TElement : unmanaged
        where TElements : struct, IElements<TElement>
    {
        int c = TOps.Count;
        float* x1 = x + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        TVec a00 = TOps.Zero, a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        TVec a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int i = 0; i < inputs; i++)
        {
            TElement* wi = w + (long)i * outputs;
            TVec w0 = TElements.Load(wi), w1 = TElements.Load(wi + c), w2 = TElements.Load(wi + 2 * c), w3 = TElements.Load(wi + 3 * c);
            TVec b = TOps.Broadcast(x[i]);
            a00 = TOps.MultiplyAdd(b, w0, a00);
            a01 = TOps.MultiplyAdd(b, w1, a01);
            a02 = TOps.MultiplyAdd(b, w2, a02);
            a03 = TOps.MultiplyAdd(b, w3, a03);
            b = TOps.Broadcast(x1[i]);
            a10 = TOps.MultiplyAdd(b, w0, a10);
            a11 = TOps.MultiplyAdd(b, w1, a11);
            a12 = TOps.MultiplyAdd(b, w2, a12);
            a13 = TOps.MultiplyAdd(b, w3, a13);
            b = TOps.Broadcast(x2[i]);
            a20 = TOps.MultiplyAdd(b, w0, a20);
            a21 = TOps.MultiplyAdd(b, w1, a21);
            a22 = TOps.MultiplyAdd(b, w2, a22);
            a23 = TOps.MultiplyAdd(b, w3, a23);
            b = TOps.Broadcast(x3[i]);
            a30 = TOps.MultiplyAdd(b, w0, a30);
            a31 = TOps.MultiplyAdd(b, w1, a31);
            a32 = TOps.MultiplyAdd(b, w2, a32);
            a33 = TOps.MultiplyAdd(b, w3, a33);
        }

        float* y1 = y + yStride, y2 = y1 + yStride, y3 = y2 + yStride;
        TOps.Store(a00, y);
        TOps.Store(a01, y + c);
        TOps.Store(a02, y + 2 * c);
        TOps.Store(a03, y + 3 * c);
        TOps.Store(a10, y1);
        TOps.Store(a11, y1 + c);
        TOps.Store(a12, y1 + 2 * c);
        TOps.Store(a13, y1 + 3 * c);
        TOps.Store(a20, y2);
        TOps.Store(a21, y2 + c);
        TOps.Store(a22, y2 + 2 * c);
        TOps.Store(a23, y2 + 3 * c);
        TOps.Store(a30, y3);
        TOps.Store(a31, y3 + c);
        TOps.Store(a32, y3 + 2 * c);
        TOps.Store(a33, y3 + 3 * c);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void AccumulateInputMajor(float* x, int xStride, int rows, void* w, bool bf16, int wStride, int inputs, float* y, int yStride, int outputs)
    {
        int c = TOps.Count;
        int o = 0;
        for (; o + 2 * c <= outputs; o += 2 * c)
        {
            if (bf16)
            {
                AccumulateStrip<ushort, Bf16Elements>(x, xStride, rows, (ushort*)w + o, wStride, inputs, y + o, yStride);
            }
            else
            {
                AccumulateStrip<float, F32Elements>(x, xStride, rows, (float*)w + o, wStride, inputs, y + o, yStride);
            }
        }

        if (o < outputs)
        {
            void* rest = bf16 ? (ushort*)w + o : (float*)w + o;
            ScalarKernels.AccumulateInputMajor(x, xStride, rows, rest, bf16, wStride, inputs, y + o, yStride, outputs - o);
        }
    }

    /// <summary>How an element type loads as a vector of f32 (the value sum reads f32 or BF16 cache pages).</summary>
    private interface IElements<TElement>
        where TElement : unmanaged
    {
        static abstract TVec Load(TElement* p);
    }

    private readonly struct F32Elements : IElements<float>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVec Load(float* p) => TOps.Load(p);
    }

    private readonly struct Bf16Elements : IElements<ushort>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVec Load(ushort* p) => TOps.LoadBf16(p);
    }

    /// <summary>Two vectors of outputs for every row: 4 rows at a time (8 accumulators), then single rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AccumulateStrip<TElement, TElements>(float* x, int xStride, int rows, TElement* w, int wStride, int inputs, float* y, int yStride)
        where TElement : unmanaged
        where TElements : struct, IElements<TElement>
    {
        int c = TOps.Count;
        int t = 0;
        for (; t + 4 <= rows; t += 4)
        {
            float* x0 = x + (long)t * xStride, x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
            float* y0 = y + (long)t * yStride, y1 = y0 + yStride, y2 = y1 + yStride, y3 = y2 + yStride;
            TVec a00 = TOps.Load(y0), a01 = TOps.Load(y0 + c), a10 = TOps.Load(y1), a11 = TOps.Load(y1 + c);
            TVec a20 = TOps.Load(y2), a21 = TOps.Load(y2 + c), a30 = TOps.Load(y3), a31 = TOps.Load(y3 + c);
            for (int i = 0; i < inputs; i++)
            {
                TElement* wi = w + (long)i * wStride;
                TVec w0 = TElements.Load(wi), w1 = TElements.Load(wi + c);
                TVec b = TOps.Broadcast(x0[i]);
                a00 = TOps.MultiplyAdd(b, w0, a00);
                a01 = TOps.MultiplyAdd(b, w1, a01);
                b = TOps.Broadcast(x1[i]);
                a10 = TOps.MultiplyAdd(b, w0, a10);
                a11 = TOps.MultiplyAdd(b, w1, a11);
                b = TOps.Broadcast(x2[i]);
                a20 = TOps.MultiplyAdd(b, w0, a20);
                a21 = TOps.MultiplyAdd(b, w1, a21);
                b = TOps.Broadcast(x3[i]);
                a30 = TOps.MultiplyAdd(b, w0, a30);
                a31 = TOps.MultiplyAdd(b, w1, a31);
            }

            TOps.Store(a00, y0);
            TOps.Store(a01, y0 + c);
            TOps.Store(a10, y1);
            TOps.Store(a11, y1 + c);
            TOps.Store(a20, y2);
            TOps.Store(a21, y2 + c);
            TOps.Store(a30, y3);
            TOps.Store(a31, y3 + c);
        }

        for (; t < rows; t++)
        {
            float* xt = x + (long)t * xStride, yt = y + (long)t * yStride;
            TVec a0 = TOps.Load(yt), a1 = TOps.Load(yt + c);
            for (int i = 0; i < inputs; i++)
            {
                TElement* wi = w + (long)i * wStride;
                TVec b = TOps.Broadcast(xt[i]);
                a0 = TOps.MultiplyAdd(b, TElements.Load(wi), a0);
                a1 = TOps.MultiplyAdd(b, TElements.Load(wi + c), a1);
            }

            TOps.Store(a0, yt);
            TOps.Store(a1, yt + c);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void RmsNorm(float* x, float* weight, float eps, float* y, int n)
    {
        int c = TOps.Count;
        float sumSquares = Dot(x, x, n);
        float inv = 1f / MathF.Sqrt(sumSquares / n + eps);
        TVec vinv = TOps.Broadcast(inv);
        int i = 0;
        for (; i + c <= n; i += c)
        {
            TOps.Store(TOps.Multiply(TOps.Multiply(TOps.Load(x + i), vinv), TOps.Load(weight + i)), y + i);
        }

        for (; i < n; i++)
        {
            y[i] = x[i] * inv * weight[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void SiluMul(float* gate, float* up, int n)
    {
        int c = TOps.Count;
        TVec one = TOps.Broadcast(1f);
        int i = 0;
        for (; i + c <= n; i += c)
        {
            TVec g = TOps.Load(gate + i);
            TOps.Store(TOps.Multiply(TOps.Divide(g, TOps.Add(one, TOps.Exp(TOps.Subtract(TOps.Zero, g)))), TOps.Load(up + i)), gate + i);
        }

        for (; i < n; i++)
        {
            float g = gate[i];
            gate[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Softmax(float* x, int n)
    {
        int c = TOps.Count;
        if (n < c)
        {
            ScalarKernels.Softmax(x, n);
            return;
        }

        TVec vmax = TOps.Broadcast(float.NegativeInfinity);
        int i = 0;
        for (; i + c <= n; i += c)
        {
            vmax = TOps.Max(vmax, TOps.Load(x + i));
        }

        float max = TOps.MaxAcross(vmax);
        for (; i < n; i++)
        {
            max = MathF.Max(max, x[i]);
        }

        TVec vm = TOps.Broadcast(max);
        TVec vsum = TOps.Zero;
        for (i = 0; i + c <= n; i += c)
        {
            TVec e = TOps.Exp(TOps.Subtract(TOps.Load(x + i), vm));
            TOps.Store(e, x + i);
            vsum = TOps.Add(vsum, e);
        }

        float sum = TOps.Sum(vsum);
        for (; i < n; i++)
        {
            x[i] = MathF.Exp(x[i] - max);
            sum += x[i];
        }

        float inv = 1f / sum;
        TVec vinv = TOps.Broadcast(inv);
        for (i = 0; i + c <= n; i += c)
        {
            TOps.Store(TOps.Multiply(TOps.Load(x + i), vinv), x + i);
        }

        for (; i < n; i++)
        {
            x[i] *= inv;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Add(float* y, float* x, int n)
    {
        int c = TOps.Count;
        int i = 0;
        for (; i + c <= n; i += c)
        {
            TOps.Store(TOps.Add(TOps.Load(y + i), TOps.Load(x + i)), y + i);
        }

        for (; i < n; i++)
        {
            y[i] += x[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void QuantizeActivationRow(float* x, int cols, byte* codes, float* scales, bool unsignedCodes)
    {
        const int block = Q8BlockQuantizer.BlockSize;
        int c = TOps.Count;
        int b = 0;
        for (; (b + 1) * block <= cols; b++)
        {
            float* xb = x + b * block;
            TVec max = TOps.Zero;
            for (int i = 0; i < block; i += c)
            {
                max = TOps.Max(max, TOps.Abs(TOps.Load(xb + i)));
            }

            float amax = TOps.MaxAcross(max);
            float inverse = amax > 0 ? 127f / amax : 0f;
            scales[b] = amax / 127f;
            TVec vinverse = TOps.Broadcast(inverse);
            for (int i = 0; i < block; i += c)
            {
                // |x·inverse| ≤ 127 up to one rounding, so the clamp inside only mirrors the scalar reference.
                TOps.StoreQ8Codes(TOps.Multiply(TOps.Load(xb + i), vinverse), codes + b * block + i, unsignedCodes);
            }
        }

        if (b * block < cols)
        {
            ScalarKernels.QuantizeActivationBlock(x + b * block, cols - b * block, codes + b * block, scales + b, unsignedCodes);
        }
    }
}
