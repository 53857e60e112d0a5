namespace Maas.Engine.Kernels;

/// <summary>
/// The vector instruction set the CPU backend's kernels use, narrowest first. The widest one the machine
/// supports is the default; <c>MAAS_ENGINE_SIMD</c> (or <see cref="Model.ModelLoadOptions.Simd"/>) forces a narrower one.
/// </summary>
public enum SimdLevel
{
    /// <summary>Plain loops (the reference the other levels are tested against), on the engine's threads.</summary>
    Scalar,

    /// <summary>.NET's portable Vector128 (SSE on x86-64, NEON on ARM64); int8 matmuls by widening to int32.</summary>
    Vector128,

    /// <summary>AVX2 + FMA: 256-bit f32 kernels; int8 matmuls by vpmaddubsw + vpmaddwd (the sign trick).</summary>
    Avx2,

    /// <summary>AVX2 + FMA + AVX-VNNI: as <see cref="Avx2"/> with int8 matmuls by 256-bit vpdpbusd.</summary>
    AvxVnni,

    /// <summary>AVX-512 (F, BW): 512-bit f32 kernels; int8 matmuls by AVX-VNNI where present, else as <see cref="Avx2"/>.</summary>
    Avx512,
}
