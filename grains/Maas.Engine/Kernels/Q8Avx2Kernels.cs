using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Maas.Engine.Weights;

namespace Maas.Engine.Kernels;

/// <summary>
/// Q8 tiles on AVX2 without VNNI: vpmaddubsw multiplies u8 by s8 into saturating int16 pair sums, so the
/// operands are |w| and sign(x, w) (the sign trick ggml uses): both magnitudes are at most 127, so a pair sum
/// is at most 2·127·127 = 32258 and never saturates; vpmaddwd with ones widens the pairs to one int32 per row.
/// Activations are plain signed codes, so no block offset is needed. |w| is taken once per weight load and
/// shared by every token; the f32 sums live in y (16 registers cannot also hold them).
/// </summary>
internal sealed unsafe class Q8Avx2Kernels : Q8Kernels
{
    public static readonly Q8Avx2Kernels Instance = new();

    private Q8Avx2Kernels()
    {
    }

    public override string Path => "avx2";

    public override bool UnsignedActivations => false;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void DotTile(int tokens, byte* a, int aStride, float* aScales, int aScaleStride, int blocks, sbyte* tile, float* tileScales, int* tileOffsets, float* y, int yStride, bool accumulate, long prefetch)
    {
        switch (tokens)
        {
            case 1:
                OneToken((sbyte*)a, aScales, blocks, tile, tileScales, y, accumulate);
                break;
            case 2:
                Tokens<TwoTokens>((sbyte*)a, aStride, aScales, aScaleStride, blocks, tile, tileScales, y, yStride, accumulate, prefetch);
                break;
            case 3:
                Tokens<ThreeTokens>((sbyte*)a, aStride, aScales, aScaleStride, blocks, tile, tileScales, y, yStride, accumulate, prefetch);
                break;
            case 4:
                Tokens<FourTokens>((sbyte*)a, aStride, aScales, aScaleStride, blocks, tile, tileScales, y, yStride, accumulate, prefetch);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(tokens), "a Q8 tile takes 1 to 4 token rows");
        }
    }

    /// <summary>Σ over 4 columns of x·w per row lane: vpsignb, vpmaddubsw, vpmaddwd.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dot4(Vector256<byte> absW, Vector256<sbyte> w, Vector256<sbyte> x, Vector256<short> ones) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(absW, Avx2.Sign(x, w)), ones);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tokens<TTokens>(sbyte* a, int aStride, float* aScales, int aScaleStride, int blocks, sbyte* tile, float* tileScales, float* y, int yStride, bool accumulate, long prefetch)
        where TTokens : struct, ITokenCount
    {
        const int block = Q8BlockQuantizer.BlockSize, rows = Q8BlockQuantizer.TileRows;
        int n = TTokens.Count;
        sbyte* a1 = a + aStride, a2 = a1 + aStride, a3 = a2 + aStride;
        Vector256<short> ones = Vector256.Create((short)1);
        for (int b = 0; b < blocks; b++)
        {
            sbyte* wb = tile + (long)b * block * rows;
            if (prefetch != 0)
            {
                Prefetch((byte*)wb + prefetch, block * rows / 64);
            }

            Vector256<int> i0l = Vector256<int>.Zero, i0h = i0l, i1l = i0l, i1h = i0l, i2l = i0l, i2h = i0l, i3l = i0l, i3h = i0l;
            int c0 = b * block;
            for (int k = 0; k < block; k += 4)
            {
                Vector256<sbyte> wl = Vector256.Load(wb + k * rows), wh = Vector256.Load(wb + k * rows + 32);
                Vector256<byte> ul = Avx2.Abs(wl), uh = Avx2.Abs(wh);
                Vector256<sbyte> x = Vector256.Create(*(int*)(a + c0 + k)).AsSByte();
                i0l += Dot4(ul, wl, x, ones);
                i0h += Dot4(uh, wh, x, ones);
                x = Vector256.Create(*(int*)(a1 + c0 + k)).AsSByte();
                i1l += Dot4(ul, wl, x, ones);
                i1h += Dot4(uh, wh, x, ones);
                if (n > 2)
                {
                    x = Vector256.Create(*(int*)(a2 + c0 + k)).AsSByte();
                    i2l += Dot4(ul, wl, x, ones);
                    i2h += Dot4(uh, wh, x, ones);
                }

                if (n > 3)
                {
                    x = Vector256.Create(*(int*)(a3 + c0 + k)).AsSByte();
                    i3l += Dot4(ul, wl, x, ones);
                    i3h += Dot4(uh, wh, x, ones);
                }
            }

            bool add = accumulate || b > 0;
            Vector256<float> sl = Vector256.Load(tileScales + b * rows), sh = Vector256.Load(tileScales + b * rows + 8);
            Scale(i0l, i0h, sl, sh, aScales[b], y, add);
            Scale(i1l, i1h, sl, sh, aScales[aScaleStride + b], y + yStride, add);
            if (n > 2)
            {
                Scale(i2l, i2h, sl, sh, aScales[2 * aScaleStride + b], y + 2L * yStride, add);
            }

            if (n > 3)
            {
                Scale(i3l, i3h, sl, sh, aScales[3 * aScaleStride + b], y + 3L * yStride, add);
            }
        }
    }

    /// <summary>y (16 rows) = (or +=) the block's int sums × wScale·aScale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scale(Vector256<int> low, Vector256<int> high, Vector256<float> scaleLow, Vector256<float> scaleHigh, float aScale, float* y, bool add)
    {
        Vector256<float> s = Vector256.Create(aScale);
        Vector256<float> yl = add ? Vector256.Load(y) : Vector256<float>.Zero;
        Vector256<float> yh = add ? Vector256.Load(y + 8) : Vector256<float>.Zero;
        Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(low), scaleLow * s, yl).Store(y);
        Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(high), scaleHigh * s, yh).Store(y + 8);
    }

    /// <summary>One token (decode): 8 independent int32 chains (4 groups of columns × 2 row halves), f32 sums in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneToken(sbyte* a, float* aScales, int blocks, sbyte* tile, float* tileScales, float* y, bool accumulate)
    {
        const int block = Q8BlockQuantizer.BlockSize, rows = Q8BlockQuantizer.TileRows;
        Vector256<short> ones = Vector256.Create((short)1);
        Vector256<float> fl = accumulate ? Vector256.Load(y) : Vector256<float>.Zero;
        Vector256<float> fh = accumulate ? Vector256.Load(y + 8) : Vector256<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            sbyte* wb = tile + (long)b * block * rows;
            sbyte* ab = a + b * block;
            Vector256<int> l0 = Vector256<int>.Zero, h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0;
            for (int k = 0; k < block; k += 16)
            {
                sbyte* w = wb + k * rows;
                Vector256<sbyte> x0 = Vector256.Create(*(int*)(ab + k)).AsSByte();
                Vector256<sbyte> x1 = Vector256.Create(*(int*)(ab + k + 4)).AsSByte();
                Vector256<sbyte> x2 = Vector256.Create(*(int*)(ab + k + 8)).AsSByte();
                Vector256<sbyte> x3 = Vector256.Create(*(int*)(ab + k + 12)).AsSByte();
                Vector256<sbyte> w0 = Vector256.Load(w), w1 = Vector256.Load(w + 32);
                l0 += Dot4(Avx2.Abs(w0), w0, x0, ones);
                h0 += Dot4(Avx2.Abs(w1), w1, x0, ones);
                w0 = Vector256.Load(w + 64);
                w1 = Vector256.Load(w + 96);
                l1 += Dot4(Avx2.Abs(w0), w0, x1, ones);
                h1 += Dot4(Avx2.Abs(w1), w1, x1, ones);
                w0 = Vector256.Load(w + 128);
                w1 = Vector256.Load(w + 160);
                l2 += Dot4(Avx2.Abs(w0), w0, x2, ones);
                h2 += Dot4(Avx2.Abs(w1), w1, x2, ones);
                w0 = Vector256.Load(w + 192);
                w1 = Vector256.Load(w + 224);
                l3 += Dot4(Avx2.Abs(w0), w0, x3, ones);
                h3 += Dot4(Avx2.Abs(w1), w1, x3, ones);
            }

            Vector256<float> s = Vector256.Create(aScales[b]);
            fl = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(l0 + l1 + l2 + l3), Vector256.Load(tileScales + b * rows) * s, fl);
            fh = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(h0 + h1 + h2 + h3), Vector256.Load(tileScales + b * rows + 8) * s, fh);
        }

        fl.Store(y);
        fh.Store(y + 8);
    }
}
