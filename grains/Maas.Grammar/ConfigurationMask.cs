namespace Maas.Grammar;

/// <summary>
/// What a grammar configuration allows next: the token mask, the most tokens any allowed token can leave to finish
/// (<see cref="MaxNeed"/>), and the tokens that leave fewer, with how many (EOS leaves none). A sequence with at least
/// MaxNeed + 1 tokens of budget left uses the mask as is; closer to its budget it keeps only tokens it can still
/// finish after, so output under a grammar is complete by max_tokens whenever max_tokens allows at all.
/// </summary>
internal sealed record ConfigurationMask(ulong[] Mask, int MaxNeed, (int Token, int Need)[] Shorter);
