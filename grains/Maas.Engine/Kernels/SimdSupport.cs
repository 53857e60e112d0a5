using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Maas.Engine.Kernels;

/// <summary>Which <see cref="SimdLevel"/>s this machine runs, and the one the engine uses by default.</summary>
public static class SimdSupport
{
    /// <summary>The environment variable that forces a narrower level: scalar, vector128, avx2, avx-vnni or avx512.</summary>
    public const string EnvironmentVariable = "MAAS_ENGINE_SIMD";

    public static bool IsSupported(SimdLevel level) => level switch
    {
        SimdLevel.Scalar => true,
        SimdLevel.Vector128 => Vector128.IsHardwareAccelerated,
        SimdLevel.Avx2 => Avx2.IsSupported && Fma.IsSupported && Vector256.IsHardwareAccelerated,
        SimdLevel.AvxVnni => IsSupported(SimdLevel.Avx2) && AvxVnni.IsSupported,
        SimdLevel.Avx512 => IsSupported(SimdLevel.Avx2) && Avx512F.IsSupported && Avx512BW.IsSupported && Vector512.IsHardwareAccelerated,
        _ => false,
    };

    /// <summary>Every level this machine runs, narrowest first (tests run their kernels on each).</summary>
    public static IReadOnlyList<SimdLevel> Supported { get; } = Enum.GetValues<SimdLevel>().Where(IsSupported).ToArray();

    /// <summary>The widest supported level.</summary>
    public static SimdLevel Best => Supported[^1];

    /// <summary>
    /// The level to use: <paramref name="requested"/>, else <see cref="EnvironmentVariable"/>, else <see cref="Best"/>.
    /// A level wider than the machine supports is refused, so a forced setting never silently means something else.
    /// </summary>
    public static SimdLevel Resolve(SimdLevel? requested = null)
    {
        SimdLevel level = requested ?? FromEnvironment() ?? Best;
        if (!IsSupported(level))
        {
            throw new NotSupportedException($"SIMD level {Name(level)} is not supported on this CPU (supported: {string.Join(", ", Supported.Select(Name))})");
        }

        return level;
    }

    /// <summary>The level named by <see cref="EnvironmentVariable"/>, or null when it is unset or empty.</summary>
    public static SimdLevel? FromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(value) ? null : Parse(value);
    }

    public static SimdLevel Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "scalar" => SimdLevel.Scalar,
        "vector128" or "sse" or "neon" => SimdLevel.Vector128,
        "avx2" => SimdLevel.Avx2,
        "avx-vnni" or "avxvnni" => SimdLevel.AvxVnni,
        "avx512" => SimdLevel.Avx512,
        _ => throw new ArgumentException($"unknown SIMD level '{name}' in {EnvironmentVariable}; expected scalar, vector128, avx2, avx-vnni or avx512", nameof(name)),
    };

    /// <summary>The level's name as <see cref="EnvironmentVariable"/> spells it.</summary>
    public static string Name(SimdLevel level) => level switch
    {
        SimdLevel.Scalar => "scalar",
        SimdLevel.Vector128 => "vector128",
        SimdLevel.Avx2 => "avx2",
        SimdLevel.AvxVnni => "avx-vnni",
        SimdLevel.Avx512 => "avx512",
        _ => level.ToString(),
    };

    /// <summary>The CPU's vector features as .NET sees them, for benchmark and start-up reports.</summary>
    public static string CpuFeatures()
    {
        var features = new List<string>();
        void Add(bool supported, string name)
        {
            if (supported)
            {
                features.Add(name);
            }
        }

        Add(Sse42.IsSupported, "sse4.2");
        Add(Avx.IsSupported, "avx");
        Add(Avx2.IsSupported, "avx2");
        Add(Fma.IsSupported, "fma");
        Add(AvxVnni.IsSupported, "avx-vnni");
        Add(Avx512F.IsSupported, "avx512f");
        Add(Avx512BW.IsSupported, "avx512bw");
        Add(Avx512Vbmi.IsSupported, "avx512vbmi");
        Add(Avx10v1.IsSupported, "avx10.1");
        Add(System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported, "neon");
        Add(System.Runtime.Intrinsics.Arm.Dp.IsSupported, "neon-dotprod");
        return features.Count == 0 ? "none" : string.Join(' ', features);
    }
}
