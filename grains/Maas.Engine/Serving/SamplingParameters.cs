namespace Maas.Engine.Serving;

/// <summary>How the next token is chosen; OpenAI names and defaults.</summary>
public sealed record SamplingParameters
{
    /// <summary>0 means greedy (argmax).</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Nucleus mass in (0, 1]; 1 disables.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>0 disables.</summary>
    public int TopK { get; init; }

    /// <summary>Same seed and same request give the same tokens.</summary>
    public long? Seed { get; init; }

    public float PresencePenalty { get; init; }

    public float FrequencyPenalty { get; init; }

    /// <summary>Return the chosen token's log-probability.</summary>
    public bool Logprobs { get; init; }

    /// <summary>Number of alternatives (0..20) returned with each token when <see cref="Logprobs"/> is set.</summary>
    public int TopLogprobs { get; init; }

    /// <summary>OpenAI's logit_bias: added to the token's logit before anything else (ids beyond the vocabulary are ignored).</summary>
    public IReadOnlyList<KeyValuePair<int, float>> LogitBias { get; init; } = [];
}
