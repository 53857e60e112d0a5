using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Maas.Engine.Weights;

namespace Maas.Engine.Kernels;

/// <summary>
/// Q8 tiles on AVX-VNNI (256-bit vpdpbusd, u8 activations × s8 weights): per 4 input columns two weight loads,
/// one 4-byte broadcast per token and two vpdpbusd per token leave one row per int32 lane, so a block ends with
/// a convert and an FMA per 8 rows and token and no horizontal reduction. On AVX-512 machines the JIT emits the
/// EVEX form, so all 32 registers hold the 4-token accumulators.
/// </summary>
internal sealed unsafe class Q8AvxVnniKernels : Q8Kernels
{
    public static readonly Q8AvxVnniKernels Instance = new();

    private Q8AvxVnniKernels()
    {
    }

    public override string Path => "avx-vnni";

    public override bool UnsignedActivations => true;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void DotTile(int tokens, byte* a, int aStride, float* aScales, int aScaleStride, int blocks, sbyte* tile, float* tileScales, int* tileOffsets, float* y, int yStride, bool accumulate, long prefetch)
    {
        switch (tokens)
        {
            case 1:
                OneToken(a, aScales, blocks, tile, tileScales, tileOffsets, y, accumulate);
                break;
            case 2:
                Tokens<TwoTokens>(a, aStride, aScales, aScaleStride, blocks, tile, tileScales, tileOffsets, y, yStride, accumulate, prefetch);
                break;
            case 3:
                Tokens<ThreeTokens>(a, aStride, aScales, aScaleStride, blocks, tile, tileScales, tileOffsets, y, yStride, accumulate, prefetch);
                break;
            case 4:
                Tokens<FourTokens>(a, aStride, aScales, aScaleStride, blocks, tile, tileScales, tileOffsets, y, yStride, accumulate, prefetch);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(tokens), "a Q8 tile takes 1 to 4 token rows");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tokens<TTokens>(byte* a, int aStride, float* aScales, int aScaleStride, int blocks, sbyte* tile, float* tileScales, int* tileOffsets, float* y, int yStride, bool accumulate, long prefetch)
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
            s = Vector256.Create(aScales[aScaleStride + b]);
            f1l = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i1l), sl * s, f1l);
            f1h = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i1h), sh * s, f1h);
            if (n > 2)
            {
                s = Vector256.Create(aScales[2 * aScaleStride + b]);
                f2l = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i2l), sl * s, f2l);
                f2h = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i2h), sh * s, f2h);
            }

            if (n > 3)
            {
                s = Vector256.Create(aScales[3 * aScaleStride + b]);
                f3l = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i3l), sl * s, f3l);
                f3h = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i3h), sh * s, f3h);
            }
        }

        Store(f0l, f0h, y, accumulate);
        Store(f1l, f1h, y + yStride, accumulate);
        if (n > 2)
        {
            Store(f2l, f2h, y + 2L * yStride, accumulate);
        }

        if (n > 3)
        {
            Store(f3l, f3h, y + 3L * yStride, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> low, Vector256<float> high, float* y, bool accumulate)
    {
        if (accumulate)
        {
            low += Vector256.Load(y);
            high += Vector256.Load(y + 8);
        }

        low.Store(y);
        high.Store(y + 8);
    }

    /// <summary>
    /// One token: the same math with 8 int32 chains (4 groups of columns × 2 row halves) so the memory-bound decode
    /// path is not held up by vpdpbusd latency; and no software prefetch, which measured slower here than the
    /// hardware prefetcher alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneToken(byte* a, float* aScales, int blocks, sbyte* tile, float* tileScales, int* tileOffsets, float* y, bool accumulate)
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

        Store(fl, fh, y, accumulate);
    }
}
