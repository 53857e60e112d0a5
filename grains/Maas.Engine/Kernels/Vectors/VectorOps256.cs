using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Maas.Engine.Kernels.Vectors;

/// <summary>256-bit f32 vectors (AVX2 + FMA on x86-64; the portable forms elsewhere).</summary>
internal readonly unsafe struct VectorOps256 : IVectorOps<Vector256<float>>
{
    public static int Count => 8;

    public static bool WideRegisterFile => false;

    public static string Name => "avx2";

    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* p) => Vector256.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, float* p) => value.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.MultiplyAddEstimate(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Abs(Vector256<float> a) => Vector256.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> a) => Vector256.Exp(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> a) => Vector256.Sum(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector256<float> a) => VectorOps128.MaxAcross(Vector128.Max(a.GetLower(), a.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadBf16(ushort* p)
    {
        if (Avx2.IsSupported)
        {
            // vpmovzxwd + shift; the portable widen goes through permutes.
            return Vector256.ShiftLeft(Avx2.ConvertToVector256Int32(p), 16).AsSingle();
        }

        (Vector128<uint> lo, Vector128<uint> hi) = Vector128.Widen(Vector128.Load(p));
        return Vector256.ShiftLeft(Vector256.Create(lo, hi), 16).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadFp8Rebiased(byte* p)
    {
        Vector256<uint> q;
        if (Avx2.IsSupported)
        {
            q = Avx2.ConvertToVector256Int32(p).AsUInt32();
        }
        else
        {
            (Vector128<uint> lo, Vector128<uint> hi) = Vector128.Widen(Vector128.WidenLower(Vector128.CreateScalar(*(ulong*)p).AsByte()));
            q = Vector256.Create(lo, hi);
        }

        return (Vector256.ShiftLeft(q & Vector256.Create(0x80u), 24) | Vector256.ShiftLeft(q & Vector256.Create(0x7Fu), 20)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreQ8Codes(Vector256<float> scaled, byte* target, bool unsignedCodes)
    {
        // vcvtps2dq rounds to nearest even (the default MXCSR mode), like MathF.Round.
        Vector256<int> rounded = Avx.IsSupported ? Avx.ConvertToVector256Int32(scaled) : Vector256.ConvertToInt32(Vector256.Round(scaled));
        Vector256<int> q = Vector256.Clamp(rounded, Vector256.Create(-127), Vector256.Create(127));
        if (unsignedCodes)
        {
            q += Vector256.Create(128);
        }

        Vector128<short> s = Vector256.Narrow(q, q).GetLower();
        *(ulong*)target = Vector128.Narrow(s, s).AsUInt64().ToScalar();
    }
}
