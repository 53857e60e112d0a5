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

    /// <summary>
    /// y_h += a[h]·x for 4 outputs (y, y + yStride, ...) and one BF16 vector, widened once for all four: the
    /// attention's value sum, where one cached latent serves every head of a group.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AxpyBf16x4(float* y, long yStride, float* a, ushort* x, int n)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            for (int h = 0; h < 4; h++)
            {
                ScalarKernels.AxpyBf16(y + h * yStride, a[h], x, n);
            }

            return;
        }

        float* y0 = y, y1 = y + yStride, y2 = y1 + yStride, y3 = y2 + yStride;
        Vector512<float> a0 = Vector512.Create(a[0]), a1 = Vector512.Create(a[1]), a2 = Vector512.Create(a[2]), a3 = Vector512.Create(a[3]);
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            (Vector512<float> lo, Vector512<float> hi) = WidenBf16(x + i);
            Vector512.FusedMultiplyAdd(a0, lo, Vector512.Load(y0 + i)).Store(y0 + i);
            Vector512.FusedMultiplyAdd(a0, hi, Vector512.Load(y0 + i + 16)).Store(y0 + i + 16);
            Vector512.FusedMultiplyAdd(a1, lo, Vector512.Load(y1 + i)).Store(y1 + i);
            Vector512.FusedMultiplyAdd(a1, hi, Vector512.Load(y1 + i + 16)).Store(y1 + i + 16);
            Vector512.FusedMultiplyAdd(a2, lo, Vector512.Load(y2 + i)).Store(y2 + i);
            Vector512.FusedMultiplyAdd(a2, hi, Vector512.Load(y2 + i + 16)).Store(y2 + i + 16);
            Vector512.FusedMultiplyAdd(a3, lo, Vector512.Load(y3 + i)).Store(y3 + i);
            Vector512.FusedMultiplyAdd(a3, hi, Vector512.Load(y3 + i + 16)).Store(y3 + i + 16);
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
    /// Q8 dot products of one tile (<see cref="Q8BlockQuantizer.TileRows"/> = 16 interleaved weight rows) with
    /// 1-4 activation rows (a + t·aStride, scales at aScales + t·blocks), into y[t·yStride + r]. Each step
    /// loads 4 input codes of 16 rows (two 32-byte vectors), broadcasts each token's 4 activation codes, and
    /// vpdpbusd leaves one row per int32 lane; a block ends with a convert and an FMA per 8 rows and token.
    /// Per row this is the scalar reference's math (exact int block sums plus offset, times wScale·aScale,
    /// in block order); only FMA rounding differs. <paramref name="prefetch"/> (bytes past the tile, 0 for
    /// none) asks for the same block of a tile further on while this one is computed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotQ8Tile(int tokens, byte* a, int aStride, float* aScales, int blocks, sbyte* tile, float* tileScales, int* tileOffsets, float* y, int yStride, long prefetch)
    {
        if (!Q8Accelerated)
        {
            for (int t = 0; t < tokens; t++)
            {
                for (int r = 0; r < Q8BlockQuantizer.TileRows; r++)
                {
                    y[(long)t * yStride + r] = ScalarKernels.DotQ8(a + (long)t * aStride, aScales + (long)t * blocks, tile, tileScales, tileOffsets, r, blocks);
                }
            }

            return;
        }

        switch (tokens)
        {
            case 1:
                DotQ8TileOneToken(a, aScales, blocks, tile, tileScales, tileOffsets, y);
                break;
            case 2:
                DotQ8Tile<TwoTokens>(a, aStride, aScales, blocks, tile, tileScales, tileOffsets, y, yStride, prefetch);
                break;
            case 3:
                DotQ8Tile<ThreeTokens>(a, aStride, aScales, blocks, tile, tileScales, tileOffsets, y, yStride, prefetch);
                break;
            case 4:
                DotQ8Tile<FourTokens>(a, aStride, aScales, blocks, tile, tileScales, tileOffsets, y, yStride, prefetch);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(tokens), "a Q8 tile takes 1 to 4 token rows");
        }
    }

    // The token count as a type, so the JIT compiles one DotQ8Tile per count with the unused accumulators
    // and branches removed (a runtime count would keep its branches in the innermost loop).
    private interface ITokenCount
    {
        static abstract int Count { get; }
    }

    private struct TwoTokens : ITokenCount
    {
        public static int Count => 2;
    }

    private struct ThreeTokens : ITokenCount
    {
        public static int Count => 3;
    }

    private struct FourTokens : ITokenCount
    {
        public static int Count => 4;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotQ8Tile<TTokens>(byte* a, int aStride, float* aScales, int blocks, sbyte* tile, float* tileScales, int* tileOffsets, float* y, int yStride, long prefetch)
        where TTokens : struct, ITokenCount
    {
        const int block = Q8BlockQuantizer.BlockSize, rows = Q8BlockQuantizer.TileRows;
        int n = TTokens.Count;
        byte* a1 = a + aStride, a2 = a1 + aStride, a3 = a2 + aStride;
        Vector256<float> f0l = default, f0h = default, f1l = default, f1h = default, f2l = default, f2h = default, f3l = default, f3h = default;
        for (int b = 0; b < blocks; b++)
        {
            sbyte* wb = tile + (long)b * block * rows;
            if (prefetch != 0)
            {
                Prefetch((byte*)wb + prefetch, block * rows / 64);
            }

            Vector256<int> low = Vector256.Load(tileOffsets + b * rows), high = Vector256.Load(tileOffsets + b * rows + 8);
            Vector256<int> i0l = low, i0h = high, i1l = low, i1h = high, i2l = low, i2h = high, i3l = low, i3h = high;
            int c0 = b * block;
            for (int k = 0; k < block; k += 4)
            {
                Vector256<sbyte> wl = Vector256.Load(wb + k * rows), wh = Vector256.Load(wb + k * rows + 32);
                Vector256<byte> x = Vector256.Create(*(int*)(a + c0 + k)).AsByte();
                i0l = AvxVnni.MultiplyWideningAndAdd(i0l, x, wl);
                i0h = AvxVnni.MultiplyWideningAndAdd(i0h, x, wh);
                x = Vector256.Create(*(int*)(a1 + c0 + k)).AsByte();
                i1l = AvxVnni.MultiplyWideningAndAdd(i1l, x, wl);
                i1h = AvxVnni.MultiplyWideningAndAdd(i1h, x, wh);
                if (n > 2)
                {
                    x = Vector256.Create(*(int*)(a2 + c0 + k)).AsByte();
                    i2l = AvxVnni.MultiplyWideningAndAdd(i2l, x, wl);
                    i2h = AvxVnni.MultiplyWideningAndAdd(i2h, x, wh);
                }

                if (n > 3)
                {
                    x = Vector256.Create(*(int*)(a3 + c0 + k)).AsByte();
                    i3l = AvxVnni.MultiplyWideningAndAdd(i3l, x, wl);
                    i3h = AvxVnni.MultiplyWideningAndAdd(i3h, x, wh);
                }
            }

            Vector256<float> sl = Vector256.Load(tileScales + b * rows), sh = Vector256.Load(tileScales + b * rows + 8);
            Vector256<float> s = Vector256.Create(aScales[b]);
            f0l = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i0l), sl * s, f0l);
            f0h = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i0h), sh * s, f0h);
            s = Vector256.Create(aScales[blocks + b]);
            f1l = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i1l), sl * s, f1l);
            f1h = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i1h), sh * s, f1h);
            if (n > 2)
            {
                s = Vector256.Create(aScales[2 * blocks + b]);
                f2l = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i2l), sl * s, f2l);
                f2h = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i2h), sh * s, f2h);
            }

            if (n > 3)
            {
                s = Vector256.Create(aScales[3 * blocks + b]);
                f3l = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i3l), sl * s, f3l);
                f3h = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i3h), sh * s, f3h);
            }
        }

        f0l.Store(y);
        f0h.Store(y + 8);
        f1l.Store(y + yStride);
        f1h.Store(y + yStride + 8);
        if (n > 2)
        {
            f2l.Store(y + 2L * yStride);
            f2h.Store(y + 2L * yStride + 8);
        }

        if (n > 3)
        {
            f3l.Store(y + 3L * yStride);
            f3h.Store(y + 3L * yStride + 8);
        }
    }

    /// <summary>
    /// One token: the same math as <see cref="DotQ8Tile{TTokens}"/>, but with 8 int32 chains (4 groups of
    /// columns × 2 row halves) so the memory-bound decode path is not held up by vpdpbusd latency; and no
    /// software prefetch, which measured slower here than the hardware prefetcher alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotQ8TileOneToken(byte* a, float* aScales, int blocks, sbyte* tile, float* tileScales, int* tileOffsets, float* y)
    {
        const int block = Q8BlockQuantizer.BlockSize, rows = Q8BlockQuantizer.TileRows;
        Vector256<float> fl = default, fh = default;
        for (int b = 0; b < blocks; b++)
        {
            sbyte* wb = tile + (long)b * block * rows;
            byte* ab = a + b * block;
            Vector256<int> l0 = Vector256.Load(tileOffsets + b * rows), h0 = Vector256.Load(tileOffsets + b * rows + 8);
            Vector256<int> l1 = Vector256<int>.Zero, h1 = l1, l2 = l1, h2 = l1, l3 = l1, h3 = l1;
            for (int k = 0; k < block; k += 16)
            {
                sbyte* w = wb + k * rows;
                Vector256<byte> x0 = Vector256.Create(*(int*)(ab + k)).AsByte();
                Vector256<byte> x1 = Vector256.Create(*(int*)(ab + k + 4)).AsByte();
                Vector256<byte> x2 = Vector256.Create(*(int*)(ab + k + 8)).AsByte();
                Vector256<byte> x3 = Vector256.Create(*(int*)(ab + k + 12)).AsByte();
                l0 = AvxVnni.MultiplyWideningAndAdd(l0, x0, Vector256.Load(w));
                h0 = AvxVnni.MultiplyWideningAndAdd(h0, x0, Vector256.Load(w + 32));
                l1 = AvxVnni.MultiplyWideningAndAdd(l1, x1, Vector256.Load(w + 64));
                h1 = AvxVnni.MultiplyWideningAndAdd(h1, x1, Vector256.Load(w + 96));
                l2 = AvxVnni.MultiplyWideningAndAdd(l2, x2, Vector256.Load(w + 128));
                h2 = AvxVnni.MultiplyWideningAndAdd(h2, x2, Vector256.Load(w + 160));
                l3 = AvxVnni.MultiplyWideningAndAdd(l3, x3, Vector256.Load(w + 192));
                h3 = AvxVnni.MultiplyWideningAndAdd(h3, x3, Vector256.Load(w + 224));
            }

            Vector256<float> s = Vector256.Create(aScales[b]);
            fl = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(l0 + l1 + l2 + l3), Vector256.Load(tileScales + b * rows) * s, fl);
            fh = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(h0 + h1 + h2 + h3), Vector256.Load(tileScales + b * rows + 8) * s, fh);
        }

        fl.Store(y);
        fh.Store(y + 8);
    }

    /// <summary>Asks for <paramref name="lines"/> cache lines from <paramref name="p"/> into L1 (a hint; no-op without SSE).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(byte* p, int lines)
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
