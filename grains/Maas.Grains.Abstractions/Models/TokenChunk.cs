namespace Maas.Grains.Abstractions.Models;

/// <summary>
/// One generated token, or the final chunk (<see cref="Finish"/> set, usage counts filled).
/// <see cref="Text"/> may be empty while the engine holds back a partial character or a possible stop string.
/// </summary>
[GenerateSerializer, Immutable, Alias("Maas.TokenChunk")]
public sealed record TokenChunk
{
    [Id(0)]
    public int TokenId { get; init; } = -1;

    [Id(1)]
    public string Text { get; init; } = "";

    [Id(2)]
    public float? Logprob { get; init; }

    [Id(3)]
    public TokenAlternative[]? TopLogprobs { get; init; }

    [Id(4)]
    public GenerationFinish? Finish { get; init; }

    [Id(5)]
    public int PromptTokens { get; init; }

    [Id(6)]
    public int CachedPromptTokens { get; init; }

    [Id(7)]
    public int CompletionTokens { get; init; }

    /// <summary>
    /// Digest of the checkpoint files the replica loaded (<c>CheckpointDigest</c>), on a sequence's first chunk and its
    /// final one, so the usage record names the exact weights that answered.
    /// </summary>
    [Id(8)]
    public string? WeightsDigest { get; init; }
}
