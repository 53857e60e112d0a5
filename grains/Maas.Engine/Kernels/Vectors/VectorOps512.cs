using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Maas.Engine.Kernels.Vectors;

/// <summary>512-bit f32 vectors (AVX-512; the portable forms elsewhere).</summary>
internal readonly unsafe struct VectorOps512 : IVectorOps<Vector512<float>>
{
    public static int Count => 16;

    public static bool WideRegisterFile => true;

    public static string Name => "avx512";

    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* p) => Vector512.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, float* p) => value.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.MultiplyAddEstimate(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Abs(Vector512<float> a) => Vector512.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> a) => Vector512.Exp(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> a) => Vector512.Sum(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector512<float> a) => VectorOps256.MaxAcross(Vector256.Max(a.GetLower(), a.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadBf16(ushort* p)
    {
        if (Avx512F.IsSupported)
        {
            // vpmovzxwd + shift; the portable widen goes through permutes.
            return Vector512.ShiftLeft(Avx512F.ConvertToVector512UInt32(Vector256.Load(p)), 16).AsSingle();
        }

        (Vector256<uint> lo, Vector256<uint> hi) = Vector256.Widen(Vector256.Load(p));
        return Vector512.ShiftLeft(Vector512.Create(lo, hi), 16).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadFp8Rebiased(byte* p)
    {
        Vector512<uint> q = Avx512F.IsSupported
            ? Avx512F.ConvertToVector512UInt32(Vector128.Load(p))
            : Vector512.Create(VectorWiden4(p), VectorWiden4(p + 8));
        return (Vector512.ShiftLeft(q & Vector512.Create(0x80u), 24) | Vector512.ShiftLeft(q & Vector512.Create(0x7Fu), 20)).AsSingle();
    }

    private static Vector256<uint> VectorWiden4(byte* p)
    {
        (Vector128<uint> lo, Vector128<uint> hi) = Vector128.Widen(Vector128.WidenLower(Vector128.CreateScalar(*(ulong*)p).AsByte()));
        return Vector256.Create(lo, hi);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreQ8Codes(Vector512<float> scaled, byte* target, bool unsignedCodes)
    {
        if (!Avx512F.IsSupported)
        {
            VectorOps256.StoreQ8Codes(scaled.GetLower(), target, unsignedCodes);
            VectorOps256.StoreQ8Codes(scaled.GetUpper(), target + 8, unsignedCodes);
            return;
        }

        // vcvtps2dq rounds to nearest even (the default MXCSR mode), like MathF.Round; vpmovdb narrows.
        Vector512<int> q = Vector512.Clamp(Avx512F.ConvertToVector512Int32(scaled), Vector512.Create(-127), Vector512.Create(127));
        if (unsignedCodes)
        {
            q += Vector512.Create(128);
        }

        Avx512F.ConvertToVector128Byte(q).Store(target);
    }
}
