using System.Runtime.InteropServices;

namespace Maas.Grammar;

/// <summary>
/// Runs a <see cref="Grammar"/> as a pushdown automaton over symbols. A configuration is the set of stacks the input
/// so far can have led to (alternatives are followed side by side, so no grammar needs to be deterministic); stacks
/// are persistent (a stack node is a state on top of a parent node, shared by every stack that extends it) and
/// hash-consed, so a configuration is a sorted set of node ids, itself interned to one int. Transitions
/// (configuration, symbol) → configuration are memoised, so walking a token's bytes from a configuration seen before is
/// a few dictionary lookups. Not thread-safe: <see cref="TokenGrammar"/> serialises access.
/// </summary>
internal sealed class GrammarAutomaton
{
    /// <summary>The configuration nothing can follow: the input is not a prefix of the grammar's language.</summary>
    public const int Dead = 0;

    /// <summary>Stacks deeper than this are dropped (left-recursive or absurdly nested input), which only narrows the language.</summary>
    private const int MaxDepth = 256;

    /// <summary>Marks the accepting configuration member: the whole grammar has been matched.</summary>
    private const int AcceptMarker = -1;

    private readonly GrammarState[] _states;
    private readonly List<(int State, int Parent, int Depth, int Completion)> _nodes = [];
    private readonly int[] _distance;
    private readonly List<int> _completion = [];
    private readonly Dictionary<(int State, int Parent), int> _nodeIds = [];
    private readonly List<int[]> _configurations = [];
    private readonly Dictionary<ConfigurationKey, int> _configurationIds = [];
    private readonly List<bool> _hasSymbols = [];
    private readonly Dictionary<long, int> _transitions = [];
    private readonly HashSet<int> _visited = [];
    private readonly List<int> _members = [];

    public GrammarAutomaton(Grammar grammar)
    {
        _states = grammar.States;
        _distance = Distances(_states);
        Intern([]);
        _members.Clear();
        _visited.Clear();
        var accept = false;
        Expand(grammar.Start, -1, ref accept);
        Start = Finish(accept);
    }

    /// <summary>The configuration before any input.</summary>
    public int Start { get; }

    public int ConfigurationCount => _configurations.Count;

    public int TransitionCount => _transitions.Count;

    /// <summary>Whether the input that led to <paramref name="configuration"/> is a whole sentence of the grammar.</summary>
    public bool IsAccepting(int configuration)
    {
        var members = _configurations[configuration];
        return members.Length > 0 && members[0] == AcceptMarker;
    }

    /// <summary>
    /// The fewest symbols that complete the input from <paramref name="configuration"/> (0 when accepting; int.MaxValue
    /// for <see cref="Dead"/>). Every byte and every special symbol is one token of a byte-level vocabulary, so a
    /// sequence with this many tokens left can always finish.
    /// </summary>
    public int MinCompletion(int configuration) => _completion[configuration];

    /// <summary>Whether any symbol may follow.</summary>
    public bool CanContinue(int configuration) => _hasSymbols[configuration];

    /// <summary>The configuration after <paramref name="symbol"/>, <see cref="Dead"/> if the symbol is not allowed.</summary>
    public int Step(int configuration, int symbol)
    {
        var key = ((long)configuration << 16) | (uint)symbol;
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_transitions, key, out var exists);
        if (exists)
        {
            return slot;
        }

        // ComputeStep never touches _transitions, so the slot stays valid.
        slot = ComputeStep(configuration, symbol);
        return slot;
    }

    private int ComputeStep(int configuration, int symbol)
    {
        if (configuration == Dead)
        {
            return Dead;
        }

        _members.Clear();
        _visited.Clear();
        var accept = false;
        foreach (var node in _configurations[configuration])
        {
            if (node == AcceptMarker)
            {
                continue;
            }

            var (state, parent, _, _) = _nodes[node];
            foreach (var (low, high, target) in _states[state].Symbols)
            {
                if (symbol >= low && symbol <= high)
                {
                    Expand(target, parent, ref accept);
                }
            }
        }

        return Finish(accept);
    }

    private int Finish(bool accept)
    {
        if (accept)
        {
            _members.Add(AcceptMarker);
        }

        _members.Sort();
        return Intern([.. _members]);
    }

    /// <summary>Adds to _members every stack reachable from (state, parent) without consuming input whose top can consume a symbol.</summary>
    private void Expand(int state, int parent, ref bool accept)
    {
        var depth = parent < 0 ? 1 : _nodes[parent].Depth + 1;
        if (depth > MaxDepth)
        {
            return;
        }

        var node = NodeId(state, parent, depth);
        if (!_visited.Add(node))
        {
            return;
        }

        var definition = _states[state];
        if (definition.Symbols.Length > 0)
        {
            _members.Add(node);
        }

        foreach (var next in definition.Epsilons)
        {
            Expand(next, parent, ref accept);
        }

        foreach (var (start, returnState) in definition.Calls)
        {
            Expand(start, NodeId(returnState, parent, depth), ref accept);
        }

        if (definition.EndsRule)
        {
            if (parent < 0)
            {
                accept = true;
            }
            else
            {
                var (returnState, grandparent, _, _) = _nodes[parent];
                Expand(returnState, grandparent, ref accept);
            }
        }
    }

    private int NodeId(int state, int parent, int depth)
    {
        ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_nodeIds, (state, parent), out var exists);
        if (!exists)
        {
            id = _nodes.Count;
            var below = parent < 0 ? 0 : _nodes[parent].Completion;
            _nodes.Add((state, parent, depth, Saturate((long)_distance[state] + below)));
        }

        return id;
    }

    private int Intern(int[] members)
    {
        var key = new ConfigurationKey(members);
        if (_configurationIds.TryGetValue(key, out var id))
        {
            return id;
        }

        id = _configurations.Count;
        _configurations.Add(members);
        _configurationIds.Add(key, id);
        var canContinue = false;
        foreach (var member in members)
        {
            canContinue |= member != AcceptMarker;
        }

        _hasSymbols.Add(canContinue);
        var completion = int.MaxValue;
        foreach (var member in members)
        {
            completion = Math.Min(completion, member == AcceptMarker ? 0 : _nodes[member].Completion);
        }

        _completion.Add(completion);
        return id;
    }

    /// <summary>Per state, the fewest symbols from it to its rule's end (a call costs its callee's shortest sentence): a fixed point.</summary>
    private static int[] Distances(GrammarState[] states)
    {
        var distance = new int[states.Length];
        Array.Fill(distance, int.MaxValue);
        for (var s = 0; s < states.Length; s++)
        {
            if (states[s].EndsRule)
            {
                distance[s] = 0;
            }
        }

        for (var changed = true; changed;)
        {
            changed = false;
            for (var s = states.Length - 1; s >= 0; s--)
            {
                var best = (long)distance[s];
                foreach (var next in states[s].Epsilons)
                {
                    best = Math.Min(best, distance[next]);
                }

                foreach (var (_, _, target) in states[s].Symbols)
                {
                    best = Math.Min(best, 1L + distance[target]);
                }

                foreach (var (start, returnState) in states[s].Calls)
                {
                    best = Math.Min(best, (long)distance[start] + distance[returnState]);
                }

                if (best < distance[s])
                {
                    distance[s] = (int)best;
                    changed = true;
                }
            }
        }

        return distance;
    }

    private static int Saturate(long value) => value >= int.MaxValue ? int.MaxValue : (int)value;

    private readonly struct ConfigurationKey(int[] members) : IEquatable<ConfigurationKey>
    {
        private readonly int[] _members = members;

        public bool Equals(ConfigurationKey other) => _members.AsSpan().SequenceEqual(other._members);

        public override bool Equals(object? obj) => obj is ConfigurationKey other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            hash.AddBytes(MemoryMarshal.AsBytes(_members.AsSpan()));
            return hash.ToHashCode();
        }
    }
}
