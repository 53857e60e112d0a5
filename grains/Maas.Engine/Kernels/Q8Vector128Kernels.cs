using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Maas.Engine.Weights;

namespace Maas.Engine.Kernels;

/// <summary>
/// Q8 tiles on the portable Vector128 API (any SSE or NEON machine): each int32 lane holds one row's 4 codes of
/// a column group, which shifts sign-extend one at a time before an int32 multiply-add with the broadcast
/// activation code. Correct everywhere and about 1 MAC per instruction: the fallback, not a fast path.
/// </summary>
internal sealed unsafe class Q8Vector128Kernels : Q8Kernels
{
    public static readonly Q8Vector128Kernels Instance = new();

    private Q8Vector128Kernels()
    {
    }

    public override string Path => "vector128";

    public override bool UnsignedActivations => false;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void DotTile(int tokens, byte* a, int aStride, float* aScales, int aScaleStride, int blocks, sbyte* tile, float* tileScales, int* tileOffsets, float* y, int yStride, bool accumulate, long prefetch)
    {
        const int block = Q8BlockQuantizer.BlockSize, rows = Q8BlockQuantizer.TileRows;
        for (int t = 0; t < tokens; t++)
        {
            sbyte* at = (sbyte*)a + (long)t * aStride;
            float* yt = y + (long)t * yStride;
            for (int b = 0; b < blocks; b++)
            {
                int* wb = (int*)(tile + (long)b * block * rows);
                Vector128<int> r0 = Vector128<int>.Zero, r1 = r0, r2 = r0, r3 = r0;
                for (int k = 0; k < block; k += 4)
                {
                    int codes = *(int*)(at + b * block + k);
                    var x0 = Vector128.Create((codes << 24) >> 24);
                    var x1 = Vector128.Create((codes << 16) >> 24);
                    var x2 = Vector128.Create((codes << 8) >> 24);
                    var x3 = Vector128.Create(codes >> 24);
                    int* w = wb + k * 4;
                    r0 += Dot4(Vector128.Load(w), x0, x1, x2, x3);
                    r1 += Dot4(Vector128.Load(w + 4), x0, x1, x2, x3);
                    r2 += Dot4(Vector128.Load(w + 8), x0, x1, x2, x3);
                    r3 += Dot4(Vector128.Load(w + 12), x0, x1, x2, x3);
                }

                var s = Vector128.Create(aScales[(long)t * aScaleStride + b]);
                float* ws = tileScales + b * rows;
                bool add = accumulate || b > 0;
                Scale(r0, Vector128.Load(ws) * s, yt, add);
                Scale(r1, Vector128.Load(ws + 4) * s, yt + 4, add);
                Scale(r2, Vector128.Load(ws + 8) * s, yt + 8, add);
                Scale(r3, Vector128.Load(ws + 12) * s, yt + 12, add);
            }
        }
    }

    /// <summary>Per lane (one row): Σ_j code_j·x_j over the lane's 4 packed signed codes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Dot4(Vector128<int> packed, Vector128<int> x0, Vector128<int> x1, Vector128<int> x2, Vector128<int> x3) =>
        Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(packed, 24), 24) * x0
        + Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(packed, 16), 24) * x1
        + Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(packed, 8), 24) * x2
        + Vector128.ShiftRightArithmetic(packed, 24) * x3;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scale(Vector128<int> sums, Vector128<float> scale, float* y, bool add)
    {
        Vector128<float> value = Vector128.ConvertToSingle(sums) * scale;
        (add ? value + Vector128.Load(y) : value).Store(y);
    }
}
