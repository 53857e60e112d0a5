namespace Maas.Generation.Responses;

/// <summary>Legacy completions logprobs: parallel lists per generated token.</summary>
public sealed record TextLogprobs(
    IReadOnlyList<string> Tokens,
    IReadOnlyList<float> TokenLogprobs,
    IReadOnlyList<IReadOnlyDictionary<string, float>> TopLogprobs,
    IReadOnlyList<int> TextOffset);
