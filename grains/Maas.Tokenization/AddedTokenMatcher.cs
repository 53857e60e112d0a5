using System.Buffers;

namespace Maas.Tokenization;

/// <summary>
/// Finds added tokens (special and non-special, e.g. <c>&lt;｜User｜&gt;</c>) written in text,
/// leftmost first and longest at a position, as Hugging Face's added-vocabulary split does before
/// pre-tokenization. Handled outside Microsoft.ML.Tokenizers so custom pre-tokenizers need no
/// knowledge of them.
/// </summary>
/// <remarks>
/// A character trie: positions that cannot start a token are skipped with one vectorized search over the
/// tokens' first characters, and from a candidate position the walk follows at most the longest token's
/// length. Text made of nothing but <c>&lt;</c> (every DeepSeek token's first character) therefore costs one
/// failed trie step per character instead of a comparison against each of the 818 tokens.
/// </remarks>
internal sealed class AddedTokenMatcher
{
    /// <summary>Trie edges keyed by (node &lt;&lt; 16) | char; node 0 is the root.</summary>
    private readonly Dictionary<long, int> _edges = new(MixedInt64Comparer.Instance);

    /// <summary>Token id ending at each node, or -1.</summary>
    private readonly List<int> _tokenAt = [-1];

    private readonly SearchValues<char> _firstChars;

    public AddedTokenMatcher(IEnumerable<(string Content, int Id)> tokens)
    {
        var first = new HashSet<char>();
        foreach ((string content, int id) in tokens)
        {
            if (content.Length == 0)
            {
                continue;
            }

            first.Add(content[0]);
            int node = 0;
            foreach (char c in content)
            {
                long key = Edge(node, c);
                if (!_edges.TryGetValue(key, out int child))
                {
                    child = _tokenAt.Count;
                    _tokenAt.Add(-1);
                    _edges[key] = child;
                }

                node = child;
            }

            // tokenizer.json lists each content once; should it not, the first id wins as in a lookup table.
            if (_tokenAt[node] < 0)
            {
                _tokenAt[node] = id;
            }
        }

        _firstChars = SearchValues.Create([.. first]);
    }

    /// <summary>The first added token at or after <paramref name="start"/>; false if none.</summary>
    public bool TryFindNext(ReadOnlySpan<char> text, int start, out int index, out int length, out int id)
    {
        int i = start;
        while (i < text.Length)
        {
            int skip = text[i..].IndexOfAny(_firstChars);
            if (skip < 0)
            {
                break;
            }

            i += skip;
            int node = 0;
            int bestLength = 0;
            int bestId = -1;
            for (int j = i; j < text.Length && _edges.TryGetValue(Edge(node, text[j]), out node); j++)
            {
                if (_tokenAt[node] >= 0)
                {
                    bestLength = j - i + 1;
                    bestId = _tokenAt[node];
                }
            }

            if (bestId >= 0)
            {
                index = i;
                length = bestLength;
                id = bestId;
                return true;
            }

            i++;
        }

        index = length = id = -1;
        return false;
    }

    private static long Edge(int node, char c) => ((long)node << 16) | c;
}
