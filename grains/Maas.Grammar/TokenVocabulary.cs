namespace Maas.Grammar;

/// <summary>
/// A tokenizer's vocabulary as a trie over symbols, built once per model: token ids sharing a byte prefix share the
/// trie path, so finding every token a grammar configuration allows walks each prefix once and prunes a whole subtree
/// at its first impossible byte. Tokens the grammar can never use (added and special tokens: control tokens, never
/// content) are left out, except those a grammar names as special symbols, which are added per grammar as
/// one-symbol paths (<see cref="TokenGrammar"/>).
/// </summary>
public sealed class TokenVocabulary
{
    private readonly byte[]?[] _tokenBytes;
    private readonly Dictionary<string, int> _specialTokenIds;

    /// <param name="tokenBytes">Per token id its bytes, or null for a token never allowed as content (added tokens).</param>
    /// <param name="specialTokenIds">Added tokens by text, for grammars that use them as symbols.</param>
    /// <param name="endOfSequenceIds">Allowed exactly where the grammar accepts.</param>
    public TokenVocabulary(IReadOnlyList<byte[]?> tokenBytes, IReadOnlyDictionary<string, int> specialTokenIds, IReadOnlyList<int> endOfSequenceIds)
    {
        ArgumentNullException.ThrowIfNull(tokenBytes);
        _tokenBytes = [.. tokenBytes];
        _specialTokenIds = new Dictionary<string, int>(specialTokenIds, StringComparer.Ordinal);
        EndOfSequenceIds = [.. endOfSequenceIds.Where(id => (uint)id < (uint)tokenBytes.Count)];
        Size = tokenBytes.Count;
        Trie = TokenTrie.Build(_tokenBytes);
    }

    /// <summary>Token ids 0..Size-1.</summary>
    public int Size { get; }

    /// <summary>Words of a token mask (one bit per id).</summary>
    public int MaskWords => (Size + 63) / 64;

    public IReadOnlyList<int> EndOfSequenceIds { get; }

    internal TokenTrie Trie { get; }

    /// <summary>The token's bytes, or null for a token outside the trie.</summary>
    public ReadOnlySpan<byte> Bytes(int tokenId) => _tokenBytes[tokenId];

    public bool IsContentToken(int tokenId) => (uint)tokenId < (uint)Size && _tokenBytes[tokenId] is not null;

    /// <summary>The id of an added token by its text, if the tokenizer has it.</summary>
    public int? SpecialTokenId(string text) => _specialTokenIds.TryGetValue(text, out var id) ? id : null;
}
