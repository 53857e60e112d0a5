using System.Text;

namespace Maas.Grammar;

/// <summary>
/// Builds a <see cref="Grammar"/>: rules as small automata over symbols (bytes 0..255, and 256+k for the k-th special
/// token the grammar names) whose edges are symbol ranges, epsilons, or calls of other rules (a recursive transition
/// network, i.e. a pushdown automaton). Every combinator creates fresh states, so a fragment is used exactly once.
/// </summary>
public sealed class GrammarBuilder
{
    private readonly List<List<(int Low, int High, int Target)>> _symbols = [];
    private readonly List<List<int>> _epsilons = [];
    private readonly List<List<(int Rule, int Return)>> _calls = [];
    private readonly List<int> _ruleOfState = [];
    private readonly List<(int Start, int End, string Name)> _rules = [];
    private readonly List<string> _specialTokens = [];
    private int _currentRule = -1;

    /// <summary>Declares a rule (it may be referenced before <see cref="Define"/>, for recursion).</summary>
    public int DeclareRule(string name)
    {
        var rule = _rules.Count;
        _rules.Add((-1, -1, name));
        return rule;
    }

    /// <summary>Defines a declared rule's body; <paramref name="body"/> builds the fragment inside the rule.</summary>
    public void Define(int rule, Func<GrammarFragment> body)
    {
        if (_rules[rule].Start >= 0)
        {
            throw new InvalidOperationException($"Rule {_rules[rule].Name} is defined twice.");
        }

        var outer = _currentRule;
        _currentRule = rule;
        var start = NewState();
        var end = NewState();
        _rules[rule] = (start, end, _rules[rule].Name);
        var fragment = body();
        _epsilons[start].Add(fragment.Start);
        _epsilons[fragment.End].Add(end);
        _currentRule = outer;
    }

    /// <summary>The symbol of a special token by its text (e.g. <c>&lt;｜tool▁calls▁begin｜&gt;</c>), added on first use.</summary>
    public int SpecialSymbol(string tokenText)
    {
        var index = _specialTokens.IndexOf(tokenText);
        if (index < 0)
        {
            index = _specialTokens.Count;
            _specialTokens.Add(tokenText);
        }

        return Grammar.FirstSpecialSymbol + index;
    }

    /// <summary>An epsilon edge between states of fragments already built (for automata that are DAGs rather than nested combinators).</summary>
    public void Link(int from, int to) => _epsilons[from].Add(to);

    public GrammarFragment Empty()
    {
        var s = NewState();
        return new GrammarFragment(s, s);
    }

    /// <summary>One symbol in [low, high].</summary>
    public GrammarFragment Range(int low, int high)
    {
        var start = NewState();
        var end = NewState();
        _symbols[start].Add((low, high, end));
        return new GrammarFragment(start, end);
    }

    /// <summary>One symbol from any of the ranges.</summary>
    public GrammarFragment Ranges(IEnumerable<(int Low, int High)> ranges)
    {
        var start = NewState();
        var end = NewState();
        foreach (var (low, high) in ranges)
        {
            _symbols[start].Add((low, high, end));
        }

        return new GrammarFragment(start, end);
    }

    public GrammarFragment Literal(string text) => Bytes(Encoding.UTF8.GetBytes(text));

    public GrammarFragment Bytes(ReadOnlySpan<byte> bytes)
    {
        var start = NewState();
        var current = start;
        foreach (var b in bytes)
        {
            var next = NewState();
            _symbols[current].Add((b, b, next));
            current = next;
        }

        return new GrammarFragment(start, current);
    }

    /// <summary>The special token <paramref name="tokenText"/> as one symbol.</summary>
    public GrammarFragment Special(string tokenText)
    {
        var symbol = SpecialSymbol(tokenText);
        return Range(symbol, symbol);
    }

    public GrammarFragment Call(int rule)
    {
        var start = NewState();
        var end = NewState();
        _calls[start].Add((rule, end));
        return new GrammarFragment(start, end);
    }

    public GrammarFragment Sequence(params GrammarFragment[] parts)
    {
        if (parts.Length == 0)
        {
            return Empty();
        }

        for (var i = 1; i < parts.Length; i++)
        {
            _epsilons[parts[i - 1].End].Add(parts[i].Start);
        }

        return new GrammarFragment(parts[0].Start, parts[^1].End);
    }

    public GrammarFragment Choice(params GrammarFragment[] alternatives)
    {
        var start = NewState();
        var end = NewState();
        foreach (var alternative in alternatives)
        {
            _epsilons[start].Add(alternative.Start);
            _epsilons[alternative.End].Add(end);
        }

        return new GrammarFragment(start, end);
    }

    /// <summary>Zero or one. Fresh entry and exit states: a skip edge must never reach a loop inside <paramref name="inner"/>.</summary>
    public GrammarFragment Optional(GrammarFragment inner)
    {
        var start = NewState();
        var end = NewState();
        _epsilons[start].Add(inner.Start);
        _epsilons[start].Add(end);
        _epsilons[inner.End].Add(end);
        return new GrammarFragment(start, end);
    }

    /// <summary>Zero or more; the exit is a fresh state, so what follows cannot loop back.</summary>
    public GrammarFragment Star(GrammarFragment inner)
    {
        var hub = NewState();
        var end = NewState();
        _epsilons[hub].Add(inner.Start);
        _epsilons[inner.End].Add(hub);
        _epsilons[hub].Add(end);
        return new GrammarFragment(hub, end);
    }

    /// <summary>Between <paramref name="min"/> and <paramref name="max"/> (null: unbounded) repetitions of what <paramref name="item"/> builds.</summary>
    public GrammarFragment Repeat(Func<GrammarFragment> item, int min, int? max)
    {
        var parts = new List<GrammarFragment>();
        for (var i = 0; i < min; i++)
        {
            parts.Add(item());
        }

        if (max is null)
        {
            parts.Add(Star(item()));
        }
        else
        {
            // Nested optionals: a?(a?(a?)) keeps the automaton linear in max.
            GrammarFragment? tail = null;
            for (var i = min; i < max.Value; i++)
            {
                var one = item();
                tail = tail is { } t ? Optional(Sequence(one, t)) : Optional(one);
            }

            if (tail is { } last)
            {
                parts.Add(last);
            }
        }

        return Sequence([.. parts]);
    }

    /// <summary>The finished grammar, starting at <paramref name="root"/>.</summary>
    public Grammar Build(int root)
    {
        for (var r = 0; r < _rules.Count; r++)
        {
            if (_rules[r].Start < 0)
            {
                throw new InvalidOperationException($"Rule {_rules[r].Name} is referenced but never defined.");
            }
        }

        var count = _symbols.Count;
        var states = new GrammarState[count];
        for (var s = 0; s < count; s++)
        {
            var rule = _ruleOfState[s];
            states[s] = new GrammarState(
                [.. _symbols[s]],
                [.. _epsilons[s]],
                [.. _calls[s].Select(c => (_rules[c.Rule].Start, c.Return))],
                rule >= 0 && _rules[rule].End == s);
        }

        return new Grammar(states, _rules[root].Start, [.. _specialTokens]);
    }

    private int NewState()
    {
        if (_currentRule < 0)
        {
            throw new InvalidOperationException("Grammar fragments are built inside Define.");
        }

        _symbols.Add([]);
        _epsilons.Add([]);
        _calls.Add([]);
        _ruleOfState.Add(_currentRule);
        return _symbols.Count - 1;
    }
}
