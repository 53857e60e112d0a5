namespace Maas.Tokenization;

/// <summary>
/// Equality for 64-bit keys packed from two ids, with a hash that mixes all bits. <c>long.GetHashCode</c> is
/// <c>low ^ high</c>, which sends (a, b) and (b, a), and every pair with the same xor, to one bucket: a BPE merge
/// table keyed that way made each lookup walk long chains.
/// </summary>
internal sealed class MixedInt64Comparer : IEqualityComparer<long>
{
    public static MixedInt64Comparer Instance { get; } = new();

    public bool Equals(long x, long y) => x == y;

    // Fibonacci hashing: the high half of the product depends on every bit of the key.
    public int GetHashCode(long obj) => (int)((ulong)obj * 0x9E3779B97F4A7C15UL >> 32);
}
