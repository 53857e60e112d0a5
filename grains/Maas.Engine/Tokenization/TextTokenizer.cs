namespace Maas.Engine.Tokenization;

/// <summary>Byte-level BPE tokenizer read from a model folder's tokenizer.json and tokenizer_config.json.</summary>
public sealed class TextTokenizer
{
    private TextTokenizer()
    {
    }

    public int VocabSize { get; }

    public int BosTokenId { get; }

    public IReadOnlyList<int> EosTokenIds { get; } = [];

    /// <summary>Whether prompts start with BOS (tokenizer_config.json add_bos_token).</summary>
    public bool AddBosToken { get; }

    public static TextTokenizer Load(string modelFolder) => throw new NotImplementedException("contract stub: engine-text implements it");

    /// <summary>Ids for the text; special tokens written in the text are recognised; BOS is not added.</summary>
    public int[] Encode(string text) => throw new NotImplementedException();

    public string Decode(ReadOnlySpan<int> ids) => throw new NotImplementedException();
}
