namespace Maas.Engine.Serving;

/// <summary>
/// One generated token, or the final event. <see cref="Text"/> is the newly completed UTF-8-safe text
/// (may be empty while a multi-byte character or a possible stop string is held back).
/// The final event has <see cref="Finish"/> set and carries the usage counts.
/// </summary>
public sealed record GenerationEvent
{
    public int TokenId { get; init; } = -1;

    public string Text { get; init; } = "";

    public float? Logprob { get; init; }

    public IReadOnlyList<TokenLogprob>? TopLogprobs { get; init; }

    public FinishReason? Finish { get; init; }

    public int PromptTokens { get; init; }

    /// <summary>Prompt tokens whose KV came from a cache instead of being computed.</summary>
    public int CachedPromptTokens { get; init; }

    public int CompletionTokens { get; init; }

    /// <summary>The scheduler step (1-based count of forward passes) that produced this event; for tests and tracing.</summary>
    public long Step { get; init; }
}
