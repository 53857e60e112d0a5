namespace Maas.Tokenization;

/// <summary>What <see cref="TextTokenizer.Encode(string, AddedTokenHandling, CancellationToken)"/> does with added-token strings written in the text.</summary>
public enum AddedTokenHandling
{
    /// <summary>
    /// Added and special tokens written in the text (<c>&lt;｜User｜&gt;</c>, <c>&lt;｜end▁of▁sentence｜&gt;</c>) become
    /// their single ids, as Hugging Face's <c>tokenizer.encode</c> does. Only for trusted text.
    /// </summary>
    Recognize,

    /// <summary>
    /// Everything is plain text: an added-token string is encoded byte by byte like any other text, so text from a
    /// client can never produce a control token (Hugging Face's <c>split_special_tokens</c>, applied to every added
    /// token). The chat template uses this for message content and emits its own control tokens by id.
    /// </summary>
    AsText,
}
