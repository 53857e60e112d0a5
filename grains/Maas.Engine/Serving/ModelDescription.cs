namespace Maas.Engine.Serving;

/// <summary>What a caller needs to know about a loaded model.</summary>
/// <param name="KvCacheTokens">
/// Tokens the engine's KV cache holds over all sequences: a request whose prompt plus max_tokens (capped at the context)
/// needs more is refused at once, because no amount of waiting would make it fit.
/// </param>
public sealed record ModelDescription(
    string Architecture,
    int VocabSize,
    int ContextLength,
    IReadOnlyList<int> EosTokenIds,
    int KvBytesPerToken,
    long ParameterCount,
    int KvCacheTokens);
