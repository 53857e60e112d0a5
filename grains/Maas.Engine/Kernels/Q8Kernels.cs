using System.Runtime.Intrinsics.X86;

namespace Maas.Engine.Kernels;

/// <summary>
/// The int8 matmul kernel of one <see cref="SimdLevel"/>: a tile of 16 interleaved Q8 weight rows
/// (<see cref="Weights.Q8BlockQuantizer.TileRows"/>) against 1-4 quantized activation rows over a range of
/// 128-column blocks. Each block's dot product is exact int32 math, scaled once by wScale·aScale into f32.
/// </summary>
internal abstract unsafe class Q8Kernels
{
    /// <summary>The path name reported for the q8 family ("avx-vnni", "avx2", "vector128", "scalar").</summary>
    public abstract string Path { get; }

    /// <summary>
    /// Whether activations are stored as code + 128 (vpdpbusd multiplies u8 by s8; the weights' block offsets
    /// -128·Σw remove the bias) rather than as plain signed codes.
    /// </summary>
    public abstract bool UnsignedActivations { get; }

    public static Q8Kernels For(SimdLevel level) => level switch
    {
        SimdLevel.Scalar => Q8ScalarKernels.Instance,
        SimdLevel.Vector128 => Q8Vector128Kernels.Instance,
        SimdLevel.Avx2 => Q8Avx2Kernels.Instance,
        SimdLevel.AvxVnni => Q8AvxVnniKernels.Instance,
        SimdLevel.Avx512 => AvxVnni.IsSupported ? Q8AvxVnniKernels.Instance : Q8Avx2Kernels.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(level)),
    };

    /// <summary>
    /// y[t·yStride + r] = Σ_b (int dot of block b)·tileScale[b, r]·aScale[t, b] for the 16 rows r of one tile and
    /// <paramref name="tokens"/> (1-4) activation rows, over <paramref name="blocks"/> blocks starting where the
    /// pointers point: activation codes a + t·aStride (128 per block), their scales aScales + t·aScaleStride,
    /// weight codes <paramref name="tile"/> (2048 per block), scales and offsets 16 per block. With
    /// <paramref name="accumulate"/> the sums are added to y instead (the next range of blocks of the same outputs).
    /// <paramref name="prefetch"/> (bytes past the tile, 0 for none) asks for the same blocks of a later tile.
    /// </summary>
    public abstract void DotTile(int tokens, byte* a, int aStride, float* aScales, int aScaleStride, int blocks, sbyte* tile, float* tileScales, int* tileOffsets, float* y, int yStride, bool accumulate, long prefetch);

    // The token count as a type, so the JIT compiles one tile kernel per count with the unused accumulators and
    // branches removed (a runtime count would keep its branches in the innermost loop).
    protected interface ITokenCount
    {
        static abstract int Count { get; }
    }

    protected struct TwoTokens : ITokenCount
    {
        public static int Count => 2;
    }

    protected struct ThreeTokens : ITokenCount
    {
        public static int Count => 3;
    }

    protected struct FourTokens : ITokenCount
    {
        public static int Count => 4;
    }

    /// <summary>Asks for <paramref name="lines"/> cache lines from <paramref name="p"/> into L1 (a hint; no-op without SSE).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    protected static void Prefetch(byte* p, int lines)
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
}
