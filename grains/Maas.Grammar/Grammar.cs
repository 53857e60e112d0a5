namespace Maas.Grammar;

/// <summary>
/// A compiled grammar over symbols: bytes (0..255) and special tokens (256 + k for <see cref="SpecialTokens"/>[k]).
/// Immutable and independent of any tokenizer; <see cref="TokenGrammar"/> pairs it with a vocabulary.
/// </summary>
public sealed class Grammar
{
    public const int FirstSpecialSymbol = 256;

    internal Grammar(GrammarState[] states, int start, string[] specialTokens, string? triggerToken = null)
    {
        States = states;
        Start = start;
        SpecialTokens = specialTokens;
        TriggerToken = triggerToken;
    }

    internal Grammar WithTrigger(string triggerToken) => new(States, Start, [.. SpecialTokens], triggerToken);

    internal GrammarState[] States { get; }

    internal int Start { get; }

    /// <summary>Texts of the special tokens the grammar uses as single symbols.</summary>
    public IReadOnlyList<string> SpecialTokens { get; }

    /// <summary>
    /// When set, the constraint starts only once this special token has been generated (the grammar then describes what
    /// follows it); before, generation is free. Tool choice "auto": free text, or tool calls once they begin.
    /// </summary>
    public string? TriggerToken { get; }

    public int StateCount => States.Length;
}
