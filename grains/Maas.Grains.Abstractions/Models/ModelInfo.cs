namespace Maas.Grains.Abstractions.Models;

/// <summary>
/// What a caller needs to know about a loaded model. <see cref="KvCacheTokens"/> is what the replica's KV cache holds:
/// a request whose prompt plus max_tokens (capped at the context) needs more can never run there.
/// </summary>
[GenerateSerializer, Immutable, Alias("Maas.ModelInfo")]
public sealed record ModelInfo(
    [property: Id(0)] string Architecture,
    [property: Id(1)] int VocabSize,
    [property: Id(2)] int ContextLength,
    [property: Id(3)] int[] EosTokenIds,
    [property: Id(4)] long ParameterCount,
    [property: Id(5)] int KvCacheTokens);
