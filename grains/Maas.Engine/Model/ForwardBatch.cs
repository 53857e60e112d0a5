using Maas.Engine.Experts;
using Maas.Engine.KvCache;

namespace Maas.Engine.Model;

/// <summary>
/// The work of one Forward step: for each sequence its new tokens (a prefill chunk or one decode
/// token) and whether it wants logits for every new position or only the last. Preallocated and
/// reused: Clear, then Add entries.
/// </summary>
public sealed class ForwardBatch
{
    private readonly KvSequence?[] _sequences;
    private readonly IExpertHost?[] _expertHosts;
    private readonly FineTuneExperts?[] _fineTunes;
    private readonly int[] _tokenStart;
    private readonly int[] _tokenCount;
    private readonly bool[] _allLogits;
    private readonly int[] _logitStart;
    private readonly int[] _tokens;

    public ForwardBatch(int maxSequences, int maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequences, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        MaxSequences = maxSequences;
        MaxTokens = maxTokens;
        _sequences = new KvSequence?[maxSequences];
        _expertHosts = new IExpertHost?[maxSequences];
        _fineTunes = new FineTuneExperts?[maxSequences];
        _tokenStart = new int[maxSequences];
        _tokenCount = new int[maxSequences];
        _allLogits = new bool[maxSequences];
        _logitStart = new int[maxSequences];
        _tokens = new int[maxTokens];
    }

    public int MaxSequences { get; }

    public int MaxTokens { get; }

    public int SequenceCount { get; private set; }

    public int TokenCount { get; private set; }

    /// <summary>Rows of the logits output: per entry all its tokens or just one.</summary>
    public int LogitRowCount { get; private set; }

    public void Clear()
    {
        Array.Clear(_sequences, 0, SequenceCount);
        Array.Clear(_expertHosts, 0, SequenceCount);
        Array.Clear(_fineTunes, 0, SequenceCount);
        SequenceCount = 0;
        TokenCount = 0;
        LogitRowCount = 0;
    }

    /// <summary>
    /// Adds a sequence's new tokens (they get positions sequence.Length, sequence.Length+1, ...).
    /// <paramref name="expertHost"/> optionally serves some routed experts for this sequence
    /// (a remote host); the rest run on the model's local host. <paramref name="fineTune"/> replaces routed experts for
    /// this sequence only, computed in the same grouped dispatches as the base experts (see <see cref="FineTuneExperts"/>).
    /// Returns the entry index.
    /// </summary>
    public int Add(KvSequence sequence, ReadOnlySpan<int> tokens, bool allLogits = false, IExpertHost? expertHost = null, FineTuneExperts? fineTune = null)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("an entry needs at least one token", nameof(tokens));
        }

        if (SequenceCount == MaxSequences)
        {
            throw new InvalidOperationException($"the batch already holds its maximum of {MaxSequences} sequences");
        }

        if (TokenCount + tokens.Length > MaxTokens)
        {
            throw new InvalidOperationException($"adding {tokens.Length} tokens exceeds the batch's maximum of {MaxTokens} tokens");
        }

        for (int i = 0; i < SequenceCount; i++)
        {
            if (ReferenceEquals(_sequences[i], sequence))
            {
                throw new InvalidOperationException($"KV sequence {sequence.Id} is already in this batch");
            }
        }

        int entry = SequenceCount++;
        _sequences[entry] = sequence;
        _expertHosts[entry] = expertHost;
        _fineTunes[entry] = fineTune;
        _tokenStart[entry] = TokenCount;
        _tokenCount[entry] = tokens.Length;
        _allLogits[entry] = allLogits;
        _logitStart[entry] = LogitRowCount;
        tokens.CopyTo(_tokens.AsSpan(TokenCount));
        TokenCount += tokens.Length;
        LogitRowCount += allLogits ? tokens.Length : 1;
        return entry;
    }

    /// <summary>First row of this entry's logits in the output of Forward.</summary>
    public int LogitsRowStart(int entry) => _logitStart[CheckEntry(entry)];

    /// <summary>How many logit rows this entry has (its token count, or 1).</summary>
    public int LogitsRowCount(int entry) => _allLogits[CheckEntry(entry)] ? _tokenCount[entry] : 1;

    public KvSequence Sequence(int entry) => _sequences[CheckEntry(entry)]!;

    internal ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, TokenCount);

    internal int TokenStart(int entry) => _tokenStart[entry];

    internal int EntryTokenCount(int entry) => _tokenCount[entry];

    internal bool WantsAllLogits(int entry) => _allLogits[entry];

    internal IExpertHost? ExpertHost(int entry) => _expertHosts[entry];

    internal FineTuneExperts? FineTune(int entry) => _fineTunes[entry];

    private int CheckEntry(int entry)
    {
        if ((uint)entry >= (uint)SequenceCount)
        {
            throw new ArgumentOutOfRangeException(nameof(entry));
        }

        return entry;
    }
}
