namespace Maas.Engine.Serving;

/// <summary>One sequence to generate: token ids in (the caller tokenizes), events out.</summary>
public sealed record GenerationRequest
{
    public required string RequestId { get; init; }

    public required IReadOnlyList<int> PromptTokens { get; init; }

    public required int MaxTokens { get; init; }

    public SamplingParameters Sampling { get; init; } = new();

    /// <summary>Generation ends before any of these strings would be emitted; they are not returned.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>When false, an end-of-sequence token does not end generation (OpenAI's ignore_eos, used by benchmarks).</summary>
    public bool StopAtEos { get; init; } = true;

    /// <summary>
    /// Whether sampled special and added tokens (any id of tokenizer.json's added_tokens) are left out of the text, as
    /// vLLM's skip_special_tokens does by default; they still count as generated tokens and show in logprobs.
    /// </summary>
    public bool SkipSpecialTokens { get; init; } = true;

    /// <summary>
    /// A tenant fine-tune's replacement experts (<see cref="InferenceEngine.LoadFineTune"/>) this sequence runs with; null:
    /// the base model. The sequence holds a lease on them from the call until it leaves the batch.
    /// </summary>
    public Experts.FineTuneExperts? FineTune { get; init; }
}
