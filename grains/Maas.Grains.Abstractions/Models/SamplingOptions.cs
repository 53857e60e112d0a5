namespace Maas.Grains.Abstractions.Models;

/// <summary>How tokens are chosen; OpenAI names and defaults.</summary>
[GenerateSerializer, Immutable, Alias("Maas.SamplingOptions")]
public sealed record SamplingOptions
{
    /// <summary>0 means greedy.</summary>
    [Id(0)]
    public float Temperature { get; init; } = 1f;

    [Id(1)]
    public float TopP { get; init; } = 1f;

    /// <summary>0 disables.</summary>
    [Id(2)]
    public int TopK { get; init; }

    [Id(3)]
    public long? Seed { get; init; }

    [Id(4)]
    public float PresencePenalty { get; init; }

    [Id(5)]
    public float FrequencyPenalty { get; init; }

    [Id(6)]
    public bool Logprobs { get; init; }

    [Id(7)]
    public int TopLogprobs { get; init; }

    /// <summary>OpenAI's logit_bias: token id → bias in [-100, 100], added to the logit before sampling.</summary>
    [Id(8)]
    public Dictionary<int, float>? LogitBias { get; init; }
}
