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

    /// <summary>Interactive first; batch fills idle slots and gives them up when an interactive request waits.</summary>
    public GenerationPriority Priority { get; init; } = GenerationPriority.Interactive;

    /// <summary>
    /// Whether sampled special and added tokens (any id of tokenizer.json's added_tokens) are left out of the text, as
    /// vLLM's skip_special_tokens does by default; they still count as generated tokens and show in logprobs.
    /// </summary>
    public bool SkipSpecialTokens { get; init; } = true;

    /// <summary>
    /// The tenant the request belongs to: waiting requests are admitted round-robin across tenants (within a priority
    /// class), so one tenant's backlog cannot hold back another's requests.
    /// </summary>
    public string TenantId { get; init; } = "";

    /// <summary>The tenant's share in that round-robin: a tenant of weight 2 is admitted twice per round (at least 1).</summary>
    public int TenantWeight { get; init; } = 1;

    /// <summary>
    /// Longest wait for a batch slot before the request is refused (<see cref="GenerationRefusal.QueueTimeout"/>); null
    /// uses <see cref="InferenceEngineOptions.MaxQueueWait"/>. Once it ran, a request is never refused for waiting.
    /// </summary>
    public TimeSpan? QueueTimeout { get; init; }

    /// <summary>
    /// When set, every token is sampled from those the grammar allows next (structured outputs, tool calls), EOS only
    /// where the grammar accepts, and the sequence ends once the grammar is complete.
    /// </summary>
    public Maas.Grammar.Grammar? Grammar { get; init; }

    /// <summary>
    /// A tenant fine-tune's replacement experts (<see cref="InferenceEngine.LoadFineTune"/>) this sequence runs with; null:
    /// the base model. The sequence holds a lease on them from the call until it leaves the batch.
    /// </summary>
    public Experts.FineTuneExperts? FineTune { get; init; }
}
