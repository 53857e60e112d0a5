namespace Maas.Grains.Abstractions.Models;

/// <summary>A candidate token with its log-probability.</summary>
[GenerateSerializer, Immutable, Alias("Maas.TokenAlternative")]
public sealed record TokenAlternative(
    [property: Id(0)] int TokenId,
    [property: Id(1)] string Text,
    [property: Id(2)] float Logprob);
