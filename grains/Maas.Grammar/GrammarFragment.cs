namespace Maas.Grammar;

/// <summary>A piece of a rule under construction: an entry state and an exit state of the builder's automaton (Thompson construction).</summary>
public readonly record struct GrammarFragment(int Start, int End);
