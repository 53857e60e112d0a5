namespace Maas.Engine.Tools.Golden;

/// <summary>One entry of a golden folder's cases.json with its reference logits [tokens, vocab].</summary>
public sealed record GoldenCase(string Name, int[] Tokens, float[] Logits, int Vocab);
