namespace Maas.Grammar;

/// <summary>
/// One sequence's position in a <see cref="TokenGrammar"/>: which tokens may come next, and the position after each
/// generated token. Used by one thread at a time (the engine's scheduler).
/// </summary>
public sealed class GrammarMatcher
{
    private readonly TokenGrammar _grammar;
    private int _configuration;
    private ulong[]? _budgetMask;

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
    public ReadOnlySpan<ulong> AllowedTokens(int remainingTokens = int.MaxValue)
    {
        var entry = _grammar.Mask(_configuration);
        if (remainingTokens - 1 >= entry.MaxNeed)
        {
            return entry.Mask;
        }

        var budget = remainingTokens - 1;
        if (entry.Shorter.Length > 0 && entry.Shorter.Min(s => s.Need) > budget)
        {
            // Over budget whatever comes: the quickest way to the end is the best left.
            budget = entry.Shorter.Min(s => s.Need);
        }

        _budgetMask ??= new ulong[entry.Mask.Length];
        Array.Clear(_budgetMask);
        foreach (var (token, need) in entry.Shorter)
        {
            if (need <= budget)
            {
                _budgetMask[token >> 6] |= 1UL << token;
            }
        }

        return entry.Shorter.Length == 0 ? entry.Mask : _budgetMask;
    }

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
