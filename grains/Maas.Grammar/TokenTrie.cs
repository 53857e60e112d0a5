namespace Maas.Grammar;

/// <summary>
/// The vocabulary's byte trie in flat arrays: node 0 is the root; children of a node are contiguous and sorted by
/// byte (<see cref="FirstChild"/>..<see cref="FirstChild"/>+<see cref="ChildCount"/>), so a walk is cache-friendly;
/// <see cref="TokenAt"/> is the first token ending at a node (-1 for none) and <see cref="NextTokenWithSameBytes"/>
/// chains tokens whose bytes are equal.
/// </summary>
internal sealed class TokenTrie
{
    private TokenTrie(int[] firstChild, int[] childCount, byte[] symbol, int[] tokenAt, int[] nextTokenWithSameBytes)
    {
        FirstChild = firstChild;
        ChildCount = childCount;
        Symbol = symbol;
        TokenAt = tokenAt;
        NextTokenWithSameBytes = nextTokenWithSameBytes;
    }

    public int[] FirstChild { get; }

    public int[] ChildCount { get; }

    public byte[] Symbol { get; }

    public int[] TokenAt { get; }

    public int[] NextTokenWithSameBytes { get; }

    public int NodeCount => Symbol.Length;

    public static TokenTrie Build(byte[]?[] tokens)
    {
        // Sort ids by bytes, then lay the trie out breadth-first from the sorted list.
        var ids = Enumerable.Range(0, tokens.Length).Where(i => tokens[i] is { Length: > 0 }).ToArray();
        Array.Sort(ids, (a, b) =>
        {
            var c = tokens[a].AsSpan().SequenceCompareTo(tokens[b]);
            return c != 0 ? c : a.CompareTo(b);
        });

        var nextSame = new int[tokens.Length];
        Array.Fill(nextSame, -1);
        var firstChild = new List<int> { 0 };
        var childCount = new List<int> { 0 };
        var symbol = new List<byte> { 0 };
        var tokenAt = new List<int> { -1 };

        // Breadth-first: a queue of (node, range of sorted ids, depth) whose children are still to be laid out.
        var queue = new Queue<(int Node, int From, int To, int Depth)>();
        queue.Enqueue((0, 0, ids.Length, 0));
        while (queue.Count > 0)
        {
            var (node, from, to, depth) = queue.Dequeue();
            var i = from;

            // Ids whose bytes end at this depth end at this node (they sort first in the range).
            while (i < to && tokens[ids[i]]!.Length == depth)
            {
                if (tokenAt[node] < 0)
                {
                    tokenAt[node] = ids[i];
                }
                else
                {
                    nextSame[ids[i]] = nextSame[tokenAt[node]];
                    nextSame[tokenAt[node]] = ids[i];
                }

                i++;
            }

            firstChild[node] = symbol.Count;
            var children = 0;
            while (i < to)
            {
                var b = tokens[ids[i]]![depth];
                var j = i;
                while (j < to && tokens[ids[j]]!.Length > depth && tokens[ids[j]]![depth] == b)
                {
                    j++;
                }

                var child = symbol.Count;
                symbol.Add(b);
                firstChild.Add(0);
                childCount.Add(0);
                tokenAt.Add(-1);
                queue.Enqueue((child, i, j, depth + 1));
                children++;
                i = j;
            }

            childCount[node] = children;
        }

        return new TokenTrie([.. firstChild], [.. childCount], [.. symbol], [.. tokenAt], nextSame);
    }
}
