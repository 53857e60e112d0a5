using Maas.Engine.Kernels;
using Xunit;

namespace Maas.Engine.Tests.TestSupport;

/// <summary>
/// The SIMD levels this machine supports (<see cref="SimdSupport.Supported"/>), as theory data: every kernel and golden
/// test runs on each, so an AVX-512 machine also covers the AVX2 and Vector128 kernels, and an AVX2 one the Vector128 ones.
/// </summary>
internal static class SimdLevels
{
    public static IReadOnlyList<SimdLevel> Supported => SimdSupport.Supported;

    /// <summary>Every supported level but <see cref="SimdLevel.Scalar"/> (the reference the others are compared with).</summary>
    public static IEnumerable<SimdLevel> Vector => Supported.Where(l => l != SimdLevel.Scalar);

    public static TheoryData<SimdLevel> All()
    {
        var data = new TheoryData<SimdLevel>();
        foreach (SimdLevel level in Supported)
        {
            data.Add(level);
        }

        return data;
    }

    /// <summary>Each of <paramref name="values"/> on each supported level.</summary>
    public static TheoryData<SimdLevel, T> Cross<T>(IEnumerable<T> values)
    {
        var data = new TheoryData<SimdLevel, T>();
        foreach (SimdLevel level in Supported)
        {
            foreach (T value in values)
            {
                data.Add(level, value);
            }
        }

        return data;
    }
}
