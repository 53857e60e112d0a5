using Maas.Grains.Abstractions.Models;
using Maas.Tokenization;

namespace Maas.Generation.Requests;

/// <summary>A request that passed validation: everything needed to tokenize and generate.</summary>
public sealed record ValidatedGeneration
{
    public required GenerationKind Kind { get; init; }

    public required string Model { get; init; }

    /// <summary>Chat only.</summary>
    public IReadOnlyList<ChatMessage> Messages { get; init; } = [];

    /// <summary>Completions only.</summary>
    public string Prompt { get; init; } = "";

    /// <summary>Null means "the rest of the context" (capped).</summary>
    public int? MaxTokens { get; init; }

    /// <summary>The field name max_tokens came from, for error messages.</summary>
    public string MaxTokensParam { get; init; } = "max_tokens";

    public required SamplingOptions Sampling { get; init; }

    public string[] Stop { get; init; } = [];

    public bool Stream { get; init; }

    public bool IncludeUsage { get; init; }

    public bool IgnoreEos { get; init; }

    /// <summary>Leave sampled special and added tokens out of the text (default true).</summary>
    public bool SkipSpecialTokens { get; init; } = true;

    /// <summary>What the output must be (response_format, tools); null: free text.</summary>
    public OutputConstraint? Constraint { get; init; }

    /// <summary>Tools were offered and may be called: the pipeline reads tool calls out of the output.</summary>
    public bool ToolCallsExpected { get; init; }

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp of the request's arrival, for time to first token and duration.</summary>
    public long ReceivedTimestamp { get; init; }

    /// <summary>
    /// Wall-clock arrival when the entry point fixes it (a batch line keeps its first attempt's across restarts, so a
    /// re-run writes the same usage key); null: now less the time since <see cref="ReceivedTimestamp"/>.
    /// </summary>
    public DateTimeOffset? ReceivedAt { get; init; }

    /// <summary>Field that holds the prompt: "messages" or "prompt".</summary>
    public string PromptParam => Kind == GenerationKind.Chat ? "messages" : "prompt";

    /// <summary>The OpenAI endpoint the request is for, as metrics and usage records name it.</summary>
    public string Endpoint => Kind == GenerationKind.Chat ? "chat.completions" : "completions";
}
