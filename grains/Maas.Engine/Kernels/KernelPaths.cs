namespace Maas.Engine.Kernels;

/// <summary>
/// Which code path each kernel family of a backend runs, for start-up logs, benchmarks and metrics: e.g.
/// level avx2, f32/bf16/fp8 "avx2" (256-bit vectors), q8 "avx2" (vpmaddubsw) or "avx-vnni".
/// </summary>
public sealed record KernelPaths(SimdLevel Level, string Float, string Q8)
{
    /// <summary>The scalar reference backend.</summary>
    public static KernelPaths Scalar { get; } = new(SimdLevel.Scalar, "scalar", "scalar");

    /// <summary>The paths the CPU backend takes at <paramref name="level"/> (null: MAAS_ENGINE_SIMD or the widest supported).</summary>
    public static KernelPaths For(SimdLevel? level = null)
    {
        SimdLevel resolved = SimdSupport.Resolve(level);
        return new KernelPaths(resolved, FloatKernels.For(resolved).Path, Q8Kernels.For(resolved).Path);
    }

    /// <summary>f32, BF16 and FP8 matmuls, norms, softmax and attention share the float path.</summary>
    public override string ToString() =>
        $"simd {SimdSupport.Name(Level)}; f32: {Float}, bf16: {Float}, fp8: {Float}, q8: {Q8}, attention: {Float}";
}
