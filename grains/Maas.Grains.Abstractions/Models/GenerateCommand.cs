namespace Maas.Grains.Abstractions.Models;

/// <summary>One sequence to generate: the caller has already tokenized the prompt.</summary>
[GenerateSerializer, Immutable, Alias("Maas.GenerateCommand")]
public sealed record GenerateCommand
{
    [Id(0)]
    public required string RequestId { get; init; }

    [Id(1)]
    public required string TenantId { get; init; }

    /// <summary>Prompt token ids; one contiguous array, never changed after construction.</summary>
    [Id(2)]
    public required int[] PromptTokens { get; init; }

    [Id(3)]
    public required int MaxTokens { get; init; }

    [Id(4)]
    public SamplingOptions Sampling { get; init; } = new();

    [Id(5)]
    public string[] Stop { get; init; } = [];

    /// <summary>OpenAI's ignore_eos: keep generating past end-of-sequence tokens.</summary>
    [Id(6)]
    public bool IgnoreEos { get; init; }

    /// <summary>Leave sampled special and added tokens out of the text (vLLM's skip_special_tokens, default true).</summary>
    [Id(7)]
    public bool SkipSpecialTokens { get; init; } = true;

    /// <summary>
    /// When positive, the caller renews (<see cref="IModelReplicaGrain.RenewConsumerAsync"/>) at least this often while it
    /// consumes the stream; a sequence not renewed for this long is cancelled, because its consumer is gone (api silo
    /// crashed, call lost). Zero: no lease (the sequence runs until it finishes or the call is cancelled).
    /// </summary>
    [Id(8)]
    public TimeSpan ConsumerLease { get; init; }

    /// <summary>Batch sequences run at lower priority than interactive ones in the engine's scheduler.</summary>
    [Id(9)]
    public bool Batch { get; init; }

    /// <summary>
    /// The tenant's weight in the engine's round-robin across tenants (its policy's scheduling weight): waiting requests
    /// of a tenant of weight 2 are admitted twice as often as those of a tenant of weight 1.
    /// </summary>
    [Id(10)]
    public int TenantWeight { get; init; } = 1;

    /// <summary>Structured output or tool calls the tokens must form (response_format, tools); null: free text.</summary>
    [Id(11)]
    public OutputConstraint? Constraint { get; init; }

    /// <summary>The tenant fine-tune whose replacement experts this sequence runs with; null: the base model.</summary>
    [Id(12)]
    public FineTunes.FineTuneRef? FineTune { get; init; }
}
