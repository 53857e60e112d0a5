namespace Maas.Tokenization;

/// <summary>Where <see cref="ChatTemplate"/> writes a prompt: plain text and the template's control tokens, in order.</summary>
internal abstract class PromptWriter
{
    /// <summary>Text of the template or of a message: never turned into control tokens.</summary>
    public abstract PromptWriter Text(string text);

    /// <summary>One of the template's own control tokens (BOS, <c>&lt;｜User｜&gt;</c>, EOS, ...), by its string.</summary>
    public abstract PromptWriter Control(string token);
}
