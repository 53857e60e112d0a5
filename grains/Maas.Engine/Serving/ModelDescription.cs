namespace Maas.Engine.Serving;

/// <summary>What a caller needs to know about a loaded model.</summary>
public sealed record ModelDescription(
    string Architecture,
    int VocabSize,
    int ContextLength,
    IReadOnlyList<int> EosTokenIds,
    int KvBytesPerToken,
    long ParameterCount);
