namespace Maas.Grammar;

/// <summary>
/// What a grammar configuration allows next: the token mask, the most tokens any allowed token can leave to finish
/// (<see cref="MaxNeed"/>), and the tokens that leave fewer, sorted by how many (EOS leaves none). A sequence with at
/// least MaxNeed + 1 tokens of budget left uses the mask as is; closer to its budget it keeps only the tokens it can
/// still finish after, so output under a grammar is complete by max_tokens whenever max_tokens allows at all. Those
/// narrower masks are cached per budget level like the full one.
/// </summary>
internal sealed class ConfigurationMask(ulong[] mask, int maxNeed, int[] shorterTokens, int[] shorterNeeds)
{
    /// <summary>Narrower masks kept per configuration; beyond it they are built per step.</summary>
    private const int MaxCachedLevels = 64;

    private readonly Dictionary<int, ulong[]> _levels = [];

    public ulong[] Mask { get; } = mask;

    public int MaxNeed { get; } = maxNeed;

    /// <summary>
    /// The tokens after which at most <paramref name="budget"/> more tokens finish the grammar; when none, those that
    /// finish soonest. Called under the owning <see cref="TokenGrammar"/>'s lock.
    /// </summary>
    public ulong[] Within(int budget)
    {
        if (budget >= MaxNeed || shorterTokens.Length == 0)
        {
            return Mask;
        }

        // Entries with need <= budget form a prefix (sorted); an empty prefix widens to the smallest need.
        var level = UpperBound(Math.Max(budget, shorterNeeds[0]));
        if (_levels.TryGetValue(level, out var cached))
        {
            return cached;
        }

        var narrow = new ulong[Mask.Length];
        for (var i = 0; i < level; i++)
        {
            var token = shorterTokens[i];
            narrow[token >> 6] |= 1UL << token;
        }

        if (_levels.Count < MaxCachedLevels)
        {
            _levels[level] = narrow;
        }

        return narrow;
    }

    private int UpperBound(int need)
    {
        int low = 0, high = shorterNeeds.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (shorterNeeds[middle] <= need)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }
}
