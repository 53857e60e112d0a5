namespace Maas.Grammar;

/// <summary>
/// One state of a compiled grammar: symbol edges, epsilon edges, calls (push the return state, continue at the
/// callee's start) and whether reaching it ends its rule (pop).
/// </summary>
internal sealed record GrammarState((int Low, int High, int Target)[] Symbols, int[] Epsilons, (int Start, int Return)[] Calls, bool EndsRule);
