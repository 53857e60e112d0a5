namespace Maas.Grammar;

/// <summary>
/// A grammar paired with a model's vocabulary: the token mask of each grammar configuration, computed once by walking
/// the vocabulary trie (a subtree is pruned at its first impossible byte) and then cached, so a sequence pays a
/// dictionary lookup per step once its configurations have been seen; and the configuration after a token, a few
/// memoised transitions. One instance per (grammar, model) is shared by every sequence that uses the grammar. Safe to
/// call from several threads (calls are serialised).
/// </summary>
/// <remarks>
/// Compared with xgrammar, which precomputes per grammar position the tokens that are accepted or rejected whatever the
/// stack below holds and checks only the rest at run time, this caches whole configurations (position and stack):
/// grammars compiled from schemas have few distinct configurations, and each costs one trie walk the first time.
/// </remarks>
public sealed class TokenGrammar
{
    /// <summary>Masks kept per grammar (16 KB each for a 128k vocabulary); beyond it, masks are computed and not kept.</summary>
    public const int MaxCachedMasks = 4096;

    private readonly Lock _gate = new();
    private readonly GrammarAutomaton _automaton;
    private readonly TokenVocabulary _vocabulary;
    private readonly TokenTrie _trie;
    private readonly Dictionary<int, ConfigurationMask> _masks = [];
    private readonly Dictionary<int, int> _symbolOfToken = [];
    private readonly (int Symbol, int TokenId)[] _specials;
    private readonly List<(int Token, int Need)> _needs = [];
    private int _maxNeed;
    private long _maskComputations;
    private long _maskLookups;

    public TokenGrammar(Grammar grammar, TokenVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(grammar);
        ArgumentNullException.ThrowIfNull(vocabulary);
        Grammar = grammar;
        _vocabulary = vocabulary;
        _trie = vocabulary.Trie;
        _automaton = new GrammarAutomaton(grammar);
        var specials = new List<(int, int)>();
        for (var k = 0; k < grammar.SpecialTokens.Count; k++)
        {
            var text = grammar.SpecialTokens[k];
            var id = vocabulary.SpecialTokenId(text) ?? throw new GrammarException($"The model's tokenizer has no token '{text}', which the grammar needs.", "tokenizer");
            specials.Add((Grammar.FirstSpecialSymbol + k, id));
            _symbolOfToken[id] = Grammar.FirstSpecialSymbol + k;
        }

        _specials = [.. specials];
        if (grammar.TriggerToken is { } trigger)
        {
            TriggerTokenId = vocabulary.SpecialTokenId(trigger) ?? throw new GrammarException($"The model's tokenizer has no token '{trigger}', which the grammar needs.", "tokenizer");
        }
    }

    public Grammar Grammar { get; }

    public TokenVocabulary Vocabulary => _vocabulary;

    /// <summary>See <see cref="Grammar.TriggerToken"/>.</summary>
    public int? TriggerTokenId { get; }

    internal int Start => _automaton.Start;

    /// <summary>Trie walks done so far (cache misses), and mask requests; for benchmarks and metrics.</summary>
    public (long Computed, long Requested) MaskStatistics
    {
        get
        {
            lock (_gate)
            {
                return (_maskComputations, _maskLookups);
            }
        }
    }

    /// <summary>A cursor at the start of the grammar for one sequence.</summary>
    public GrammarMatcher CreateMatcher() => new(this);

    internal bool IsAccepting(int configuration)
    {
        lock (_gate)
        {
            return _automaton.IsAccepting(configuration);
        }
    }

    /// <summary>Accepting, and nothing can follow but the end of the sequence.</summary>
    internal bool IsComplete(int configuration)
    {
        lock (_gate)
        {
            return _automaton.IsAccepting(configuration) && !_automaton.CanContinue(configuration);
        }
    }

    /// <summary>
    /// Bit t set when token t may come next (EOS ids exactly when the configuration accepts), narrowed to tokens that can
    /// still finish within <paramref name="budget"/> more tokens. Do not modify.
    /// </summary>
    internal ulong[] Mask(int configuration, int budget)
    {
        lock (_gate)
        {
            return Entry(configuration).Within(budget);
        }
    }

    /// <summary>The configuration's masks, computed on first use (under the lock).</summary>
    private ConfigurationMask Entry(int configuration)
    {
        _maskLookups++;
        if (_masks.TryGetValue(configuration, out var cached))
        {
            return cached;
        }

        _maskComputations++;
        var mask = ComputeMask(configuration);
        if (_masks.Count < MaxCachedMasks)
        {
            _masks[configuration] = mask;
        }

        return mask;
    }

    /// <summary>The configuration after <paramref name="tokenId"/>; <see cref="GrammarAutomaton.Dead"/> if the token was not allowed.</summary>
    internal int Advance(int configuration, int tokenId)
    {
        lock (_gate)
        {
            if (_symbolOfToken.TryGetValue(tokenId, out var symbol))
            {
                return _automaton.Step(configuration, symbol);
            }

            if (!_vocabulary.IsContentToken(tokenId))
            {
                return GrammarAutomaton.Dead;
            }

            foreach (var b in _vocabulary.Bytes(tokenId))
            {
                configuration = _automaton.Step(configuration, b);
                if (configuration == GrammarAutomaton.Dead)
                {
                    break;
                }
            }

            return configuration;
        }
    }

    internal int MinCompletion(int configuration)
    {
        lock (_gate)
        {
            return _automaton.MinCompletion(configuration);
        }
    }

    /// <summary>Tokens still needed after a token that leads to <paramref name="next"/>: its shortest completion, and EOS unless complete.</summary>
    private int Need(int next) =>
        _automaton.IsAccepting(next) && !_automaton.CanContinue(next) ? 0 : (int)Math.Min(int.MaxValue, _automaton.MinCompletion(next) + 1L);

    private ConfigurationMask ComputeMask(int configuration)
    {
        var mask = new ulong[_vocabulary.MaskWords];
        _needs.Clear();
        _maxNeed = 0;
        if (configuration == GrammarAutomaton.Dead)
        {
            return new ConfigurationMask(mask, 0, [], []);
        }

        if (_automaton.IsAccepting(configuration))
        {
            foreach (var eos in _vocabulary.EndOfSequenceIds)
            {
                mask[eos >> 6] |= 1UL << eos;
                _needs.Add((eos, 0));
            }
        }

        if (_automaton.CanContinue(configuration))
        {
            foreach (var (symbol, tokenId) in _specials)
            {
                var next = _automaton.Step(configuration, symbol);
                if (next != GrammarAutomaton.Dead)
                {
                    mask[tokenId >> 6] |= 1UL << tokenId;
                    Record(tokenId, next);
                }
            }

            Walk(0, configuration, mask);
        }

        // Tokens that need fewer than the most are kept with their need, for sequences close to their token budget.
        var shorter = _needs.Where(n => n.Need < _maxNeed).OrderBy(n => n.Need).ToArray();
        return new ConfigurationMask(mask, _maxNeed, [.. shorter.Select(n => n.Token)], [.. shorter.Select(n => n.Need)]);
    }

    private void Record(int tokenId, int next)
    {
        var need = Need(next);
        _needs.Add((tokenId, need));
        _maxNeed = Math.Max(_maxNeed, need);
    }

    private void Walk(int node, int configuration, ulong[] mask)
    {
        var first = _trie.FirstChild[node];
        var end = first + _trie.ChildCount[node];
        for (var child = first; child < end; child++)
        {
            var next = _automaton.Step(configuration, _trie.Symbol[child]);
            if (next == GrammarAutomaton.Dead)
            {
                continue;
            }

            for (var token = _trie.TokenAt[child]; token >= 0; token = _trie.NextTokenWithSameBytes[token])
            {
                mask[token >> 6] |= 1UL << token;
                Record(token, next);
            }

            if (_trie.ChildCount[child] > 0 && _automaton.CanContinue(next))
            {
                Walk(child, next, mask);
            }
        }
    }
}
