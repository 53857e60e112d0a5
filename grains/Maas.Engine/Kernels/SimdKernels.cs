using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Maas.Engine.Checkpoints;
using Maas.Engine.Weights;

namespace Maas.Engine.Kernels;

/// <summary>
/// Vector512 versions of the hot kernels (f32 dot, BF16 widening by shifts, FP8 decoding by bit
/// placement). Without AVX-512 they fall back to <see cref="ScalarKernels"/>.
/// </summary>
internal static unsafe class SimdKernels
{
    // E4M3 bits placed in an f32's exponent/mantissa field (sign<<24, rest<<20) are the value × 2^-120.
    private const float Fp8Rebias = 1.329228e36f; // 2^120

    public static bool IsAccelerated => Vector512.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(float* a, float* b, int n)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            return ScalarKernels.Dot(a, b, n);
        }

        Vector512<float> acc0 = Vector512<float>.Zero;
        Vector512<float> acc1 = Vector512<float>.Zero;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc0);
            acc1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 16), Vector512.Load(b + i + 16), acc1);
        }

        for (; i + 16 <= n; i += 16)
        {
            acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc0);
        }

        float sum = Vector512.Sum(acc0 + acc1);
        for (; i < n; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotBf16(float* a, ushort* b, int n)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            return ScalarKernels.DotBf16(a, b, n);
        }

        Vector512<float> acc0 = Vector512<float>.Zero;
        Vector512<float> acc1 = Vector512<float>.Zero;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            (Vector512<float> lo, Vector512<float> hi) = WidenBf16(b + i);
            acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), lo, acc0);
            acc1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 16), hi, acc1);
        }

        float sum = Vector512.Sum(acc0 + acc1);
        for (; i < n; i++)
        {
            sum += a[i] * Bf16.Decode(b[i]);
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> Lo, Vector512<float> Hi) WidenBf16(ushort* p)
    {
        if (Avx512F.IsSupported)
        {
            // vpmovzxwd + shift: the portable Widen compiles to slower permutes.
            Vector512<uint> l = Avx512F.ConvertToVector512UInt32(Vector256.Load(p));
            Vector512<uint> h = Avx512F.ConvertToVector512UInt32(Vector256.Load(p + 16));
            return (Vector512.ShiftLeft(l, 16).AsSingle(), Vector512.ShiftLeft(h, 16).AsSingle());
        }

        (Vector512<uint> lo, Vector512<uint> hi) = Vector512.Widen(Vector512.Load(p));
        return (Vector512.ShiftLeft(lo, 16).AsSingle(), Vector512.ShiftLeft(hi, 16).AsSingle());
    }

    /// <summary>y += a·x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Axpy(float* y, float a, float* x, int n)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            ScalarKernels.Axpy(y, a, x, n);
            return;
        }

        var va = Vector512.Create(a);
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            Vector512.FusedMultiplyAdd(va, Vector512.Load(x + i), Vector512.Load(y + i)).Store(y + i);
        }

        for (; i < n; i++)
        {
            y[i] += a * x[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AxpyBf16(float* y, float a, ushort* x, int n)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            ScalarKernels.AxpyBf16(y, a, x, n);
            return;
        }

        var va = Vector512.Create(a);
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            (Vector512<float> lo, Vector512<float> hi) = WidenBf16(x + i);
            Vector512.FusedMultiplyAdd(va, lo, Vector512.Load(y + i)).Store(y + i);
            Vector512.FusedMultiplyAdd(va, hi, Vector512.Load(y + i + 16)).Store(y + i + 16);
        }

        for (; i < n; i++)
        {
            y[i] += a * Bf16.Decode(x[i]);
        }
    }

    /// <summary>
    /// Dot products of one f32 weight row with 4 token rows (x, x+stride, ...): the weight vector is
    /// loaded once and used for all four, so a batch reads each weight once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot4(float* w, float* x, long xStride, int n, float* result)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            for (int t = 0; t < 4; t++)
            {
                result[t] = ScalarKernels.Dot(x + t * xStride, w, n);
            }

            return;
        }

        float* x0 = x;
        float* x1 = x + xStride;
        float* x2 = x + 2 * xStride;
        float* x3 = x + 3 * xStride;
        // Two accumulators per token (a*, b*) so the FMA latency chains overlap.
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            Vector512<float> wv = Vector512.Load(w + i);
            Vector512<float> wu = Vector512.Load(w + i + 16);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(x0 + i), wv, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(x1 + i), wv, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(x2 + i), wv, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(x3 + i), wv, a3);
            b0 = Vector512.FusedMultiplyAdd(Vector512.Load(x0 + i + 16), wu, b0);
            b1 = Vector512.FusedMultiplyAdd(Vector512.Load(x1 + i + 16), wu, b1);
            b2 = Vector512.FusedMultiplyAdd(Vector512.Load(x2 + i + 16), wu, b2);
            b3 = Vector512.FusedMultiplyAdd(Vector512.Load(x3 + i + 16), wu, b3);
        }

        for (; i + 16 <= n; i += 16)
        {
            Vector512<float> wv = Vector512.Load(w + i);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(x0 + i), wv, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(x1 + i), wv, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(x2 + i), wv, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(x3 + i), wv, a3);
        }

        a0 += b0;
        a1 += b1;
        a2 += b2;
        a3 += b3;
        float s0 = Vector512.Sum(a0), s1 = Vector512.Sum(a1), s2 = Vector512.Sum(a2), s3 = Vector512.Sum(a3);
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

    /// <summary>
    /// y[t, o] = Σ_i x[t, i]·W[i, o] for outputs [first, last) of an input-major f32 W [inputs, outputs]:
    /// 64 outputs × 4 tokens stay in 16 registers while each input's weight row segment is broadcast-multiplied
    /// into them, so there is no horizontal sum at all (short per-output dot products were mostly sums).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MatMulInputMajor(float* x, int xStride, int rows, float* w, int inputs, int outputs, float* y, int yStride, int first, int last)
    {
        int o = first;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; o + 64 <= last; o += 64)
            {
                int t = 0;
                for (; t + 4 <= rows; t += 4)
                {
                    InputMajorTile4(x + (long)t * xStride, xStride, w + o, inputs, outputs, y + (long)t * yStride + o, yStride);
                }

                for (; t < rows; t++)
                {
                    float* xt = x + (long)t * xStride;
                    Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
                    for (int i = 0; i < inputs; i++)
                    {
                        float* wi = w + (long)i * outputs + o;
                        var xb = Vector512.Create(xt[i]);
                        a0 = Vector512.FusedMultiplyAdd(xb, Vector512.Load(wi), a0);
                        a1 = Vector512.FusedMultiplyAdd(xb, Vector512.Load(wi + 16), a1);
                        a2 = Vector512.FusedMultiplyAdd(xb, Vector512.Load(wi + 32), a2);
                        a3 = Vector512.FusedMultiplyAdd(xb, Vector512.Load(wi + 48), a3);
                    }

                    float* yt = y + (long)t * yStride + o;
                    a0.Store(yt);
                    a1.Store(yt + 16);
                    a2.Store(yt + 32);
                    a3.Store(yt + 48);
                }
            }
        }

        ScalarKernels.MatMulInputMajor(x, xStride, rows, w, inputs, outputs, y, yStride, o, last);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputMajorTile4(float* x, int xStride, float* w, int inputs, int outputs, float* y, int yStride)
    {
        float* x1 = x + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        Vector512<float> a00 = Vector512<float>.Zero, a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        Vector512<float> a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int i = 0; i < inputs; i++)
        {
            float* wi = w + (long)i * outputs;
            Vector512<float> w0 = Vector512.Load(wi), w1 = Vector512.Load(wi + 16), w2 = Vector512.Load(wi + 32), w3 = Vector512.Load(wi + 48);
            var b = Vector512.Create(x[i]);
            a00 = Vector512.FusedMultiplyAdd(b, w0, a00);
            a01 = Vector512.FusedMultiplyAdd(b, w1, a01);
            a02 = Vector512.FusedMultiplyAdd(b, w2, a02);
            a03 = Vector512.FusedMultiplyAdd(b, w3, a03);
            b = Vector512.Create(x1[i]);
            a10 = Vector512.FusedMultiplyAdd(b, w0, a10);
            a11 = Vector512.FusedMultiplyAdd(b, w1, a11);
            a12 = Vector512.FusedMultiplyAdd(b, w2, a12);
            a13 = Vector512.FusedMultiplyAdd(b, w3, a13);
            b = Vector512.Create(x2[i]);
            a20 = Vector512.FusedMultiplyAdd(b, w0, a20);
            a21 = Vector512.FusedMultiplyAdd(b, w1, a21);
            a22 = Vector512.FusedMultiplyAdd(b, w2, a22);
            a23 = Vector512.FusedMultiplyAdd(b, w3, a23);
            b = Vector512.Create(x3[i]);
            a30 = Vector512.FusedMultiplyAdd(b, w0, a30);
            a31 = Vector512.FusedMultiplyAdd(b, w1, a31);
            a32 = Vector512.FusedMultiplyAdd(b, w2, a32);
            a33 = Vector512.FusedMultiplyAdd(b, w3, a33);
        }

        float* y1 = y + yStride, y2 = y1 + yStride, y3 = y2 + yStride;
        a00.Store(y);
        a01.Store(y + 16);
        a02.Store(y + 32);
        a03.Store(y + 48);
        a10.Store(y1);
        a11.Store(y1 + 16);
        a12.Store(y1 + 32);
        a13.Store(y1 + 48);
        a20.Store(y2);
        a21.Store(y2 + 16);
        a22.Store(y2 + 32);
        a23.Store(y2 + 48);
        a30.Store(y3);
        a31.Store(y3 + 16);
        a32.Store(y3 + 32);
        a33.Store(y3 + 48);
    }

    /// <summary>As <see cref="Dot4"/> for a BF16 weight row, widened to f32 in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot4Bf16(ushort* w, float* x, long xStride, int n, float* result)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            for (int t = 0; t < 4; t++)
            {
                result[t] = ScalarKernels.DotBf16(x + t * xStride, w, n);
            }

            return;
        }

        float* x0 = x;
        float* x1 = x + xStride;
        float* x2 = x + 2 * xStride;
        float* x3 = x + 3 * xStride;
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            (Vector512<float> lo, Vector512<float> hi) = WidenBf16(w + i);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(x0 + i), lo, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(x1 + i), lo, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(x2 + i), lo, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(x3 + i), lo, a3);
            b0 = Vector512.FusedMultiplyAdd(Vector512.Load(x0 + i + 16), hi, b0);
            b1 = Vector512.FusedMultiplyAdd(Vector512.Load(x1 + i + 16), hi, b1);
            b2 = Vector512.FusedMultiplyAdd(Vector512.Load(x2 + i + 16), hi, b2);
            b3 = Vector512.FusedMultiplyAdd(Vector512.Load(x3 + i + 16), hi, b3);
        }

        a0 += b0;
        a1 += b1;
        a2 += b2;
        a3 += b3;

        float s0 = Vector512.Sum(a0), s1 = Vector512.Sum(a1), s2 = Vector512.Sum(a2), s3 = Vector512.Sum(a3);
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

    /// <summary>BF16 row to f32 (exact: a 16-bit shift).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WidenBf16Row(ushort* source, int n, float* target)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 32 <= n; i += 32)
            {
                (Vector512<float> lo, Vector512<float> hi) = WidenBf16(source + i);
                lo.Store(target + i);
                hi.Store(target + i + 16);
            }
        }

        for (; i < n; i++)
        {
            target[i] = Bf16.Decode(source[i]);
        }
    }

    /// <summary>Decodes one row of FP8 codes times its 128-column block scales into f32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DequantizeFp8Row(byte* codes, float* blockScales, int n, float* target)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var signMask = Vector512.Create(0x80u);
            var magnitudeMask = Vector512.Create(0x7Fu);
            var rebias = Vector512.Create(Fp8Rebias);
            for (; i + 64 <= n; i += 64)
            {
                // 64 columns never straddle a 128-column block when i is a multiple of 64.
                var scale = Vector512.Create(blockScales[i / 128]) * rebias;
                (Vector512<ushort> lo, Vector512<ushort> hi) = Vector512.Widen(Vector512.Load(codes + i));
                (Vector512<uint> q0, Vector512<uint> q1) = Vector512.Widen(lo);
                (Vector512<uint> q2, Vector512<uint> q3) = Vector512.Widen(hi);
                Fp8ToF32(q0, signMask, magnitudeMask, scale).Store(target + i);
                Fp8ToF32(q1, signMask, magnitudeMask, scale).Store(target + i + 16);
                Fp8ToF32(q2, signMask, magnitudeMask, scale).Store(target + i + 32);
                Fp8ToF32(q3, signMask, magnitudeMask, scale).Store(target + i + 48);
            }
        }

        ReadOnlySpan<float> table = Fp8E4M3.Table;
        for (; i < n; i++)
        {
            target[i] = table[codes[i]] * blockScales[i / 128];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fp8ToF32(Vector512<uint> q, Vector512<uint> signMask, Vector512<uint> magnitudeMask, Vector512<float> scale)
    {
        Vector512<uint> bits = Vector512.ShiftLeft(q & signMask, 24) | Vector512.ShiftLeft(q & magnitudeMask, 20);
        return bits.AsSingle() * scale;
    }

    // Every kernel here is marked AggressiveOptimization: it is jitted fully optimized on first use instead of
    // running tier-0 code (a call for every Vector256.Load) until tiering catches up. Tier-0 Q8 kernels took
    // most of a short decode benchmark, and a tier-0 SiluMul (Vector512.Exp) cost 0.6 ms per MoE layer.

    /// <summary>Whether the Q8 matmul runs on AVX-VNNI (vpdpbusd); otherwise it uses the scalar reference.</summary>
    public static bool Q8Accelerated => AvxVnni.IsSupported && Avx512F.IsSupported;

    /// <summary>
    /// As <see cref="ScalarKernels.QuantizeActivationRow"/>, bit for bit: the same max, the same
    /// 127/max multiplier and the same round-to-nearest-even, so both backends feed identical codes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeActivationRow(float* x, int cols, byte* codes, float* scales)
    {
        if (!Avx512F.IsSupported)
        {
            ScalarKernels.QuantizeActivationRow(x, cols, codes, scales);
            return;
        }

        const int block = Q8BlockQuantizer.BlockSize;
        int b = 0;
        for (; (b + 1) * block <= cols; b++)
        {
            float* xb = x + b * block;
            Vector512<float> max = Vector512<float>.Zero;
            for (int i = 0; i < block; i += 16)
            {
                max = Vector512.Max(max, Vector512.Abs(Vector512.Load(xb + i)));
            }

            Vector256<float> max8 = Vector256.Max(max.GetLower(), max.GetUpper());
            Vector128<float> max4 = Vector128.Max(max8.GetLower(), max8.GetUpper());
            float amax = MathF.Max(MathF.Max(max4.GetElement(0), max4.GetElement(1)), MathF.Max(max4.GetElement(2), max4.GetElement(3)));
            float inverse = amax > 0 ? 127f / amax : 0f;
            scales[b] = amax / 127f;
            var vinverse = Vector512.Create(inverse);
            var bias = Vector512.Create(128);
            var low = Vector512.Create(1);
            var high = Vector512.Create(255);
            for (int i = 0; i < block; i += 16)
            {
                // |x·inverse| ≤ 127 up to one rounding, so the clamp only mirrors the scalar reference.
                Vector512<int> q = Avx512F.ConvertToVector512Int32(Vector512.Load(xb + i) * vinverse) + bias;
                Avx512F.ConvertToVector128Byte(Vector512.Min(Vector512.Max(q, low), high)).Store(codes + b * block + i);
            }
        }

        if (b * block < cols)
        {
            ScalarKernels.QuantizeActivationBlock(x + b * block, cols - b * block, codes + b * block, scales + b);
        }
    }

    /// <summary>
    /// Q8 dot products of one weight row with 4 activation rows (a, a + aStride, ...; scales at aScales
    /// + t·blocks): each 128-byte weight block is loaded once into 4 registers and used by all four.
    /// Per block and token: 4 vpdpbusd into an int32 accumulator started at the block offset (which
    /// removes the +128 activation bias), then one convert and one FMA with wScale·aScale.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotQ8x4(byte* a, int aStride, float* aScales, sbyte* w, float* wScales, int* wOffsets, int blocks, float* result)
    {
        if (!Q8Accelerated)
        {
            for (int t = 0; t < 4; t++)
            {
                result[t] = ScalarKernels.DotQ8(a + (long)t * aStride, aScales + (long)t * blocks, w, wScales, wOffsets, blocks);
            }

            return;
        }

        byte* a0 = a;
        byte* a1 = a + aStride;
        byte* a2 = a1 + aStride;
        byte* a3 = a2 + aStride;
        float* s0 = aScales;
        float* s1 = s0 + blocks;
        float* s2 = s1 + blocks;
        float* s3 = s2 + blocks;
        Vector256<float> f0 = Vector256<float>.Zero, f1 = f0, f2 = f0, f3 = f0;
        for (int b = 0; b < blocks; b++)
        {
            int c = b * Q8BlockQuantizer.BlockSize;
            Vector256<sbyte> w0 = Vector256.Load(w + c);
            Vector256<sbyte> w1 = Vector256.Load(w + c + 32);
            Vector256<sbyte> w2 = Vector256.Load(w + c + 64);
            Vector256<sbyte> w3 = Vector256.Load(w + c + 96);
            Vector256<int> start = Vector256.CreateScalar(wOffsets[b]);
            // The weight scale is broadcast once for the four tokens; each token's scale is a broadcast load.
            Vector256<float> ws = Vector256.Create(wScales[b]);
            f0 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(BlockDot(start, a0 + c, w0, w1, w2, w3)) * ws, Vector256.Create(s0[b]), f0);
            f1 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(BlockDot(start, a1 + c, w0, w1, w2, w3)) * ws, Vector256.Create(s1[b]), f1);
            f2 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(BlockDot(start, a2 + c, w0, w1, w2, w3)) * ws, Vector256.Create(s2[b]), f2);
            f3 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(BlockDot(start, a3 + c, w0, w1, w2, w3)) * ws, Vector256.Create(s3[b]), f3);
        }

        result[0] = Vector256.Sum(f0);
        result[1] = Vector256.Sum(f1);
        result[2] = Vector256.Sum(f2);
        result[3] = Vector256.Sum(f3);
    }

    /// <summary>
    /// Q8 dot products of 4 weight rows (w + r·wStride; scales and offsets at + r·blocks) with 4 activation
    /// rows, into result[r·4 + t]. The batched decode's dense matmuls are compute-bound, and the per-block
    /// float work (convert, scale, accumulate) of <see cref="DotQ8x4"/> shares the vector pipes with vpdpbusd;
    /// here the 16 int32 block sums are first reduced across lanes into two vectors of 8 (exact, integer),
    /// so each block costs 2 converts and 2 FMAs for 64 vpdpbusd instead of 16 and 32. Per block this is the
    /// scalar reference's math: an exact int dot plus offset, times wScale·aScale, summed in block order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotQ8Tile4x4(byte* a, int aStride, float* aScales, sbyte* w, int wStride, float* wScales, int* wOffsets, int blocks, float* result)
    {
        if (!Q8Accelerated)
        {
            for (int r = 0; r < 4; r++)
            {
                for (int t = 0; t < 4; t++)
                {
                    result[r * 4 + t] = ScalarKernels.DotQ8(a + (long)t * aStride, aScales + (long)t * blocks, w + (long)r * wStride, wScales + r * blocks, wOffsets + r * blocks, blocks);
                }
            }

            return;
        }

        byte* a1 = a + aStride, a2 = a1 + aStride, a3 = a2 + aStride;
        sbyte* w1 = w + wStride, w2 = w1 + wStride, w3 = w2 + wStride;
        Vector256<float> rows01 = Vector256<float>.Zero, rows23 = rows01;
        for (int b = 0; b < blocks; b++)
        {
            Vector256<int> i00 = Vector256<int>.Zero, i01 = i00, i02 = i00, i03 = i00, i10 = i00, i11 = i00, i12 = i00, i13 = i00;
            Vector256<int> i20 = i00, i21 = i00, i22 = i00, i23 = i00, i30 = i00, i31 = i00, i32 = i00, i33 = i00;
            int end = (b + 1) * Q8BlockQuantizer.BlockSize;
            for (int c = b * Q8BlockQuantizer.BlockSize; c < end; c += 32)
            {
                Vector256<sbyte> v0 = Vector256.Load(w + c), v1 = Vector256.Load(w1 + c), v2 = Vector256.Load(w2 + c), v3 = Vector256.Load(w3 + c);
                Vector256<byte> x = Vector256.Load(a + c);
                i00 = AvxVnni.MultiplyWideningAndAdd(i00, x, v0);
                i10 = AvxVnni.MultiplyWideningAndAdd(i10, x, v1);
                i20 = AvxVnni.MultiplyWideningAndAdd(i20, x, v2);
                i30 = AvxVnni.MultiplyWideningAndAdd(i30, x, v3);
                x = Vector256.Load(a1 + c);
                i01 = AvxVnni.MultiplyWideningAndAdd(i01, x, v0);
                i11 = AvxVnni.MultiplyWideningAndAdd(i11, x, v1);
                i21 = AvxVnni.MultiplyWideningAndAdd(i21, x, v2);
                i31 = AvxVnni.MultiplyWideningAndAdd(i31, x, v3);
                x = Vector256.Load(a2 + c);
                i02 = AvxVnni.MultiplyWideningAndAdd(i02, x, v0);
                i12 = AvxVnni.MultiplyWideningAndAdd(i12, x, v1);
                i22 = AvxVnni.MultiplyWideningAndAdd(i22, x, v2);
                i32 = AvxVnni.MultiplyWideningAndAdd(i32, x, v3);
                x = Vector256.Load(a3 + c);
                i03 = AvxVnni.MultiplyWideningAndAdd(i03, x, v0);
                i13 = AvxVnni.MultiplyWideningAndAdd(i13, x, v1);
                i23 = AvxVnni.MultiplyWideningAndAdd(i23, x, v2);
                i33 = AvxVnni.MultiplyWideningAndAdd(i33, x, v3);
            }

            // Lanes: [r0t0 r0t1 r0t2 r0t3 r1t0 r1t1 r1t2 r1t3] and the same for rows 2 and 3.
            Vector256<int> sums01 = ReduceLanes(i00, i01, i02, i03, i10, i11, i12, i13) + Vector256.Create(Vector128.Create(wOffsets[b]), Vector128.Create(wOffsets[blocks + b]));
            Vector256<int> sums23 = ReduceLanes(i20, i21, i22, i23, i30, i31, i32, i33) + Vector256.Create(Vector128.Create(wOffsets[2 * blocks + b]), Vector128.Create(wOffsets[3 * blocks + b]));
            Vector128<float> tokenScales = Vector128.Create(aScales[b], aScales[blocks + b], aScales[2 * blocks + b], aScales[3 * blocks + b]);
            Vector256<float> tokenScales2 = Vector256.Create(tokenScales, tokenScales);
            Vector256<float> scales01 = Vector256.Create(Vector128.Create(wScales[b]), Vector128.Create(wScales[blocks + b])) * tokenScales2;
            Vector256<float> scales23 = Vector256.Create(Vector128.Create(wScales[2 * blocks + b]), Vector128.Create(wScales[3 * blocks + b])) * tokenScales2;
            rows01 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sums01), scales01, rows01);
            rows23 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sums23), scales23, rows23);
        }

        rows01.Store(result);
        rows23.Store(result + 8);
    }

    /// <summary>The lane sums of 8 vectors, in order, as one vector (integer, exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ReduceLanes(Vector256<int> v0, Vector256<int> v1, Vector256<int> v2, Vector256<int> v3, Vector256<int> v4, Vector256<int> v5, Vector256<int> v6, Vector256<int> v7)
    {
        // After two rounds of pairwise adds each 128-bit half holds [v0 v1 v2 v3] partial sums of its own half.
        Vector256<int> low = Avx2.HorizontalAdd(Avx2.HorizontalAdd(v0, v1), Avx2.HorizontalAdd(v2, v3));
        Vector256<int> high = Avx2.HorizontalAdd(Avx2.HorizontalAdd(v4, v5), Avx2.HorizontalAdd(v6, v7));
        return Avx2.Permute2x128(low, high, 0x20) + Avx2.Permute2x128(low, high, 0x31);
    }

    /// <summary>Asks for <paramref name="lines"/> cache lines from <paramref name="p"/> into L1 (a hint; no-op without SSE).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(byte* p, int lines)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        for (int i = 0; i < lines; i++)
        {
            Sse.Prefetch0(p + (long)i * 64);
        }
    }

    /// <summary>As <see cref="DotQ8x4"/> for one activation row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotQ8(byte* a, float* aScales, sbyte* w, float* wScales, int* wOffsets, int blocks)
    {
        if (!Q8Accelerated)
        {
            return ScalarKernels.DotQ8(a, aScales, w, wScales, wOffsets, blocks);
        }

        // Two float accumulators so consecutive blocks' FMAs do not wait on each other.
        Vector256<float> f0 = Vector256<float>.Zero, f1 = f0;
        int b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            int c = b * Q8BlockQuantizer.BlockSize;
            Vector256<int> d0 = BlockDot(Vector256.CreateScalar(wOffsets[b]), a + c, Vector256.Load(w + c), Vector256.Load(w + c + 32), Vector256.Load(w + c + 64), Vector256.Load(w + c + 96));
            Vector256<int> d1 = BlockDot(Vector256.CreateScalar(wOffsets[b + 1]), a + c + 128, Vector256.Load(w + c + 128), Vector256.Load(w + c + 160), Vector256.Load(w + c + 192), Vector256.Load(w + c + 224));
            f0 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(d0), Vector256.Create(wScales[b] * aScales[b]), f0);
            f1 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(d1), Vector256.Create(wScales[b + 1] * aScales[b + 1]), f1);
        }

        if (b < blocks)
        {
            int c = b * Q8BlockQuantizer.BlockSize;
            Vector256<int> d0 = BlockDot(Vector256.CreateScalar(wOffsets[b]), a + c, Vector256.Load(w + c), Vector256.Load(w + c + 32), Vector256.Load(w + c + 64), Vector256.Load(w + c + 96));
            f0 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(d0), Vector256.Create(wScales[b] * aScales[b]), f0);
        }

        return Vector256.Sum(f0 + f1);
    }

    /// <summary>start + Σ over 128 bytes of a (unsigned) × w (signed) in 8 int32 lanes (vpdpbusd never saturates).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> BlockDot(Vector256<int> start, byte* a, Vector256<sbyte> w0, Vector256<sbyte> w1, Vector256<sbyte> w2, Vector256<sbyte> w3)
    {
        // Two chains of two, not one of four: with a single token row there is nothing else to overlap the latency with.
        Vector256<int> even = AvxVnni.MultiplyWideningAndAdd(start, Vector256.Load(a), w0);
        Vector256<int> odd = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, Vector256.Load(a + 32), w1);
        even = AvxVnni.MultiplyWideningAndAdd(even, Vector256.Load(a + 64), w2);
        odd = AvxVnni.MultiplyWideningAndAdd(odd, Vector256.Load(a + 96), w3);
        return even + odd;
    }

    /// <summary>As <see cref="DotQ8x4"/> for two activation rows (experts of a batch mostly see 1-3 tokens).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotQ8x2(byte* a, int aStride, float* aScales, sbyte* w, float* wScales, int* wOffsets, int blocks, float* result)
    {
        if (!Q8Accelerated)
        {
            for (int t = 0; t < 2; t++)
            {
                result[t] = ScalarKernels.DotQ8(a + (long)t * aStride, aScales + (long)t * blocks, w, wScales, wOffsets, blocks);
            }

            return;
        }

        byte* a1 = a + aStride;
        float* s1 = aScales + blocks;
        Vector256<float> f0 = Vector256<float>.Zero, f1 = f0;
        for (int b = 0; b < blocks; b++)
        {
            int c = b * Q8BlockQuantizer.BlockSize;
            Vector256<sbyte> w0 = Vector256.Load(w + c);
            Vector256<sbyte> w1 = Vector256.Load(w + c + 32);
            Vector256<sbyte> w2 = Vector256.Load(w + c + 64);
            Vector256<sbyte> w3 = Vector256.Load(w + c + 96);
            Vector256<int> start = Vector256.CreateScalar(wOffsets[b]);
            float ws = wScales[b];
            f0 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(BlockDot(start, a + c, w0, w1, w2, w3)), Vector256.Create(ws * aScales[b]), f0);
            f1 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(BlockDot(start, a1 + c, w0, w1, w2, w3)), Vector256.Create(ws * s1[b]), f1);
        }

        result[0] = Vector256.Sum(f0);
        result[1] = Vector256.Sum(f1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RmsNorm(float* x, float* weight, float eps, float* y, int n)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            ScalarKernels.RmsNorm(x, weight, eps, y, n);
            return;
        }

        float sumSquares = Dot(x, x, n);
        float inv = 1f / MathF.Sqrt(sumSquares / n + eps);
        var vinv = Vector512.Create(inv);
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            (Vector512.Load(x + i) * vinv * Vector512.Load(weight + i)).Store(y + i);
        }

        for (; i < n; i++)
        {
            y[i] = x[i] * inv * weight[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SiluMul(float* gate, float* up, int n)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            ScalarKernels.SiluMul(gate, up, n);
            return;
        }

        var one = Vector512.Create(1f);
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            Vector512<float> g = Vector512.Load(gate + i);
            (g / (one + Vector512.Exp(-g)) * Vector512.Load(up + i)).Store(gate + i);
        }

        for (; i < n; i++)
        {
            float g = gate[i];
            gate[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Softmax(float* x, int n)
    {
        if (!Vector512.IsHardwareAccelerated || n < 16)
        {
            ScalarKernels.Softmax(x, n);
            return;
        }

        var vmax = Vector512.Create(float.NegativeInfinity);
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            vmax = Vector512.Max(vmax, Vector512.Load(x + i));
        }

        float max = vmax.ToScalar();
        for (int k = 1; k < 16; k++)
        {
            max = MathF.Max(max, vmax.GetElement(k));
        }

        for (; i < n; i++)
        {
            max = MathF.Max(max, x[i]);
        }

        var vm = Vector512.Create(max);
        var vsum = Vector512<float>.Zero;
        i = 0;
        for (; i + 16 <= n; i += 16)
        {
            Vector512<float> e = Vector512.Exp(Vector512.Load(x + i) - vm);
            e.Store(x + i);
            vsum += e;
        }

        float sum = Vector512.Sum(vsum);
        for (; i < n; i++)
        {
            x[i] = MathF.Exp(x[i] - max);
            sum += x[i];
        }

        var vinv = Vector512.Create(1f / sum);
        i = 0;
        for (; i + 16 <= n; i += 16)
        {
            (Vector512.Load(x + i) * vinv).Store(x + i);
        }

        float inv = 1f / sum;
        for (; i < n; i++)
        {
            x[i] *= inv;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(float* y, float* x, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                (Vector512.Load(y + i) + Vector512.Load(x + i)).Store(y + i);
            }
        }

        for (; i < n; i++)
        {
            y[i] += x[i];
        }
    }
}
