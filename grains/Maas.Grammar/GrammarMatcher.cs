namespace Maas.Grammar;

/// <summary>
/// One sequence's position in a <see cref="TokenGrammar"/>: which tokens may come next, and the position after each
/// generated token. Used by one thread at a time (the engine's scheduler).
/// </summary>
public sealed class GrammarMatcher
{
    private readonly TokenGrammar _grammar;
    private int _configuration;

    internal GrammarMatcher(TokenGrammar grammar)
    {
        _grammar = grammar;
        _configuration = grammar.Start;
        Active = grammar.TriggerTokenId is null;
    }

    /// <summary>False until the grammar's trigger token was generated (tool choice auto): until then tokens are free.</summary>
    public bool Active { get; private set; }

    /// <summary>The generated tokens so far are a whole sentence of the grammar (EOS may come now).</summary>
    public bool IsAccepting => Active && _grammar.IsAccepting(_configuration);

    /// <summary>Accepting and nothing but the end may follow: the sequence is done.</summary>
    public bool IsComplete => Active && _grammar.IsComplete(_configuration);

    /// <summary>A token that was not allowed came in (never happens when every token is sampled under <see cref="AllowedTokens"/>).</summary>
    public bool Failed => _configuration == GrammarAutomaton.Dead;

    /// <summary>The fewest tokens that can still complete the grammar from here (0 once accepting).</summary>
    public int MinCompletionTokens => _grammar.MinCompletion(_configuration);

    /// <summary>
    /// One bit per token id (bit t of word t/64): the tokens allowed next. With <paramref name="remainingTokens"/> (this
    /// one included), only tokens after which the grammar can still be completed within the budget; if none can, the
    /// ones closest to completion. Valid while the matcher is not advanced; do not modify.
    /// </summary>
    public ReadOnlySpan<ulong> AllowedTokens(int remainingTokens = int.MaxValue) =>
        _grammar.Mask(_configuration, remainingTokens == int.MaxValue ? int.MaxValue : remainingTokens - 1);

    /// <summary>Moves past a generated token.</summary>
    public void Accept(int tokenId)
    {
        if (!Active)
        {
            Active = tokenId == _grammar.TriggerTokenId;
            return;
        }

        _configuration = _grammar.Advance(_configuration, tokenId);
    }
}
