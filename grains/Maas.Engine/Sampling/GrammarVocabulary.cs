using Maas.Grammar;
using Maas.Tokenization;

namespace Maas.Engine.Sampling;

/// <summary>A tokenizer's vocabulary as constrained decoding sees it: content tokens by their bytes, added tokens only as named special symbols.</summary>
public static class GrammarVocabulary
{
    public static TokenVocabulary From(TextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var bytes = new byte[]?[tokenizer.VocabSize];
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var id = 0; id < tokenizer.VocabSize; id++)
        {
            if (tokenizer.IsAddedToken(id))
            {
                specials.TryAdd(tokenizer.TokenText(id), id);
            }
            else if (tokenizer.TokenBytes(id) is { Length: > 0 } tokenBytes)
            {
                bytes[id] = tokenBytes.ToArray();
            }
        }

        return new TokenVocabulary(bytes, specials, tokenizer.EosTokenIds);
    }
}
