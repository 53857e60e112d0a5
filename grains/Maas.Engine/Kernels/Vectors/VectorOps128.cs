using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Maas.Engine.Kernels.Vectors;

/// <summary>128-bit f32 vectors, portable (SSE on x86-64, NEON on ARM64).</summary>
internal readonly unsafe struct VectorOps128 : IVectorOps<Vector128<float>>
{
    public static int Count => 4;

    public static bool WideRegisterFile => false;

    public static string Name => "vector128";

    public static Vector128<float> Zero => Vector128<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(float* p) => Vector128.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, float* p) => value.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;

    // Fused only where the hardware has it (Vector128.FusedMultiplyAdd would be emulated in software without FMA).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Abs(Vector128<float> a) => Vector128.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> a) => Vector128.Exp(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> a) => Vector128.Sum(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector128<float> a) =>
        MathF.Max(MathF.Max(a.GetElement(0), a.GetElement(1)), MathF.Max(a.GetElement(2), a.GetElement(3)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadBf16(ushort* p) =>
        Vector128.ShiftLeft(Vector128.WidenLower(Vector128.CreateScalar(*(ulong*)p).AsUInt16()), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadFp8Rebiased(byte* p)
    {
        Vector128<uint> q = Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalar(*(uint*)p).AsByte()));
        return (Vector128.ShiftLeft(q & Vector128.Create(0x80u), 24) | Vector128.ShiftLeft(q & Vector128.Create(0x7Fu), 20)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreQ8Codes(Vector128<float> scaled, byte* target, bool unsignedCodes)
    {
        Vector128<int> q = Vector128.Clamp(Vector128.ConvertToInt32(Vector128.Round(scaled)), Vector128.Create(-127), Vector128.Create(127));
        if (unsignedCodes)
        {
            q += Vector128.Create(128);
        }

        Vector128<short> s = Vector128.Narrow(q, q);
        *(uint*)target = Vector128.Narrow(s, s).AsUInt32().ToScalar();
    }
}
