namespace Maas.Api.Completions.Wire;

public sealed record ChatTopLogprob(string Token, float Logprob, IReadOnlyList<int> Bytes);
