namespace Maas.Generation.Responses;

public sealed record ChatTopLogprob(string Token, float Logprob, IReadOnlyList<int> Bytes);
