using System.Buffers;
using System.Text;

namespace Maas.Tokenization;

/// <summary>
/// Byte-level BPE of one pre-tokenized piece in O(n log n): the merge order of Hugging Face's
/// <c>Word::merge_all</c> (the lowest-ranked adjacent pair first, the leftmost of equal ranks), over a linked list
/// of symbols and a heap of candidate pairs.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers merges a word the same way but then deletes the merged-away symbols from an array one
/// by one, which is quadratic: a single megabyte-long "word" (a run of letters or of '&lt;') took minutes. Pieces
/// up to <see cref="TextTokenizer.LibraryPieceLength"/> characters still go to the library (it caches short
/// words); longer ones come here. Tests compare both on the same pieces.
/// </remarks>
internal sealed class LongPieceBpe
{
    /// <summary>How many heap steps run between two looks at the cancellation token.</summary>
    private const int CancellationCheckInterval = 1 << 16;

    /// <summary>Id of each single byte's vocabulary entry.</summary>
    private readonly int[] _byteIds;

    /// <summary>(left id, right id) → (rank, merged id).</summary>
    private readonly Dictionary<long, (int Rank, int Id)> _merges;

    private LongPieceBpe(int[] byteIds, Dictionary<long, (int Rank, int Id)> merges)
    {
        _byteIds = byteIds;
        _merges = merges;
    }

    /// <summary>Builds the merge table from tokenizer.json's vocabulary (byte-level strings) and merges ("a b", in rank order).</summary>
    public static LongPieceBpe Create(IReadOnlyList<KeyValuePair<string, int>> vocabulary, IReadOnlyList<string> merges)
    {
        var ids = new Dictionary<string, int>(vocabulary.Count, StringComparer.Ordinal);
        foreach (KeyValuePair<string, int> entry in vocabulary)
        {
            ids[entry.Key] = entry.Value;
        }

        var byteIds = new int[256];
        for (int b = 0; b < 256; b++)
        {
            string single = ByteLevelAlphabet.CharOf((byte)b).ToString();
            byteIds[b] = ids.TryGetValue(single, out int id)
                ? id
                : throw new InvalidDataException($"The byte-level vocabulary has no entry for byte 0x{b:X2} ('{single}').");
        }

        var table = new Dictionary<long, (int Rank, int Id)>(merges.Count, MixedInt64Comparer.Instance);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            string merge = merges[rank];
            int space = merge.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0 || space == merge.Length - 1)
            {
                throw new InvalidDataException($"Merge {rank} ('{merge}') is not two symbols separated by a space.");
            }

            string left = merge[..space];
            string right = merge[(space + 1)..];
            if (ids.TryGetValue(left, out int leftId) && ids.TryGetValue(right, out int rightId) && ids.TryGetValue(left + right, out int mergedId))
            {
                // As in HF: a pair listed twice keeps its first (lowest) rank.
                table.TryAdd(Pair(leftId, rightId), (rank, mergedId));
            }
        }

        return new LongPieceBpe(byteIds, table);
    }

    /// <summary>Appends the ids of <paramref name="piece"/> (one pre-tokenized piece) to <paramref name="ids"/>.</summary>
    public void Encode(ReadOnlySpan<char> piece, List<int> ids, CancellationToken cancellationToken)
    {
        int count = Encoding.UTF8.GetByteCount(piece);
        if (count == 0)
        {
            return;
        }

        byte[] bytes = ArrayPool<byte>.Shared.Rent(count);
        int[] symbol = ArrayPool<int>.Shared.Rent(count);
        int[] previous = ArrayPool<int>.Shared.Rent(count);
        int[] next = ArrayPool<int>.Shared.Rent(count);
        try
        {
            Encoding.UTF8.GetBytes(piece, bytes);
            var queue = new PriorityQueue<int, long>(count);
            for (int i = 0; i < count; i++)
            {
                symbol[i] = _byteIds[bytes[i]];
                previous[i] = i - 1;
                next[i] = i + 1 < count ? i + 1 : -1;
            }

            for (int i = 0; i + 1 < count; i++)
            {
                Enqueue(queue, i, symbol[i], symbol[i + 1]);
            }

            int steps = 0;
            while (queue.TryDequeue(out int left, out long priority))
            {
                if (++steps % CancellationCheckInterval == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                int right = next[left];
                if (symbol[left] < 0 || right < 0
                    || !_merges.TryGetValue(Pair(symbol[left], symbol[right]), out (int Rank, int Id) merge)
                    || merge.Rank != (int)(priority >> 32))
                {
                    // Stale: one side was merged away or into something else since this pair was queued.
                    continue;
                }

                symbol[left] = merge.Id;
                symbol[right] = -1;
                int after = next[right];
                next[left] = after;
                if (after >= 0)
                {
                    previous[after] = left;
                    Enqueue(queue, left, merge.Id, symbol[after]);
                }

                if (previous[left] is var before and >= 0)
                {
                    Enqueue(queue, before, symbol[before], merge.Id);
                }
            }

            for (int i = 0; i >= 0; i = next[i])
            {
                ids.Add(symbol[i]);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<int>.Shared.Return(symbol);
            ArrayPool<int>.Shared.Return(previous);
            ArrayPool<int>.Shared.Return(next);
        }
    }

    private void Enqueue(PriorityQueue<int, long> queue, int left, int leftId, int rightId)
    {
        if (_merges.TryGetValue(Pair(leftId, rightId), out (int Rank, int Id) merge))
        {
            queue.Enqueue(left, ((long)merge.Rank << 32) | (uint)left);
        }
    }

    private static long Pair(int left, int right) => ((long)left << 32) | (uint)right;
}
