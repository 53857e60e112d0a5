namespace Maas.Engine.Kernels.Vectors;

/// <summary>
/// The f32 vector operations the width-generic kernels (<see cref="VectorFloatKernels{TOps, TVec}"/>) are written
/// in, implemented once per width over .NET's Vector128/256/512 with ISA fast paths inside (vpmovzxwd for BF16,
/// vcvtps2dq for rounding). Static abstract members on a struct type argument: the JIT compiles one kernel per
/// width with every call inlined, as fast as writing the width out by hand (measured on a 4-token dot).
/// </summary>
internal unsafe interface IVectorOps<TVec>
    where TVec : struct
{
    /// <summary>f32 lanes per vector.</summary>
    static abstract int Count { get; }

    /// <summary>Whether 32 vector registers are available (AVX-512), so register tiles may be twice as wide.</summary>
    static abstract bool WideRegisterFile { get; }

    static abstract string Name { get; }

    static abstract TVec Zero { get; }

    static abstract TVec Broadcast(float value);

    static abstract TVec Load(float* p);

    static abstract void Store(TVec value, float* p);

    static abstract TVec Add(TVec a, TVec b);

    static abstract TVec Subtract(TVec a, TVec b);

    static abstract TVec Multiply(TVec a, TVec b);

    static abstract TVec Divide(TVec a, TVec b);

    /// <summary>a·b + c, fused where the level has FMA.</summary>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);

    static abstract TVec Max(TVec a, TVec b);

    static abstract TVec Abs(TVec a);

    static abstract TVec Exp(TVec a);

    static abstract float Sum(TVec a);

    static abstract float MaxAcross(TVec a);

    /// <summary><see cref="Count"/> BF16 values widened to f32 (exact: a 16-bit shift).</summary>
    static abstract TVec LoadBf16(ushort* p);

    /// <summary><see cref="Count"/> E4M3 codes as f32 times 2^-120 (bits placed in an f32's exponent and mantissa).</summary>
    static abstract TVec LoadFp8Rebiased(byte* p);

    /// <summary>
    /// Rounds <see cref="Count"/> values to the nearest integer (ties to even, as MathF.Round), clamps to
    /// [-127, 127], adds 128 when <paramref name="unsignedCodes"/>, and stores them as bytes.
    /// </summary>
    static abstract void StoreQ8Codes(TVec scaled, byte* target, bool unsignedCodes);
}
