using System.Text.Json;

namespace Maas.Generation.Requests;

/// <summary>
/// The JSON body of /v1/chat/completions and /v1/completions with OpenAI names. Fields whose JSON type
/// varies (messages, prompt, stop, logprobs) stay raw and are checked by <see cref="GenerationRequestValidator"/>.
/// </summary>
public sealed record GenerationRequestBody
{
    public string? Model { get; init; }

    public JsonElement? Messages { get; init; }

    public JsonElement? Prompt { get; init; }

    public int? MaxTokens { get; init; }

    public int? MaxCompletionTokens { get; init; }

    public double? Temperature { get; init; }

    public double? TopP { get; init; }

    /// <summary>Extension (vLLM): 0 disables.</summary>
    public int? TopK { get; init; }

    public long? Seed { get; init; }

    public JsonElement? Stop { get; init; }

    public double? PresencePenalty { get; init; }

    public double? FrequencyPenalty { get; init; }

    /// <summary>A bool for chat, an int 0..5 for completions.</summary>
    public JsonElement? Logprobs { get; init; }

    public int? TopLogprobs { get; init; }

    public int? N { get; init; }

    public bool? Stream { get; init; }

    public StreamOptionsBody? StreamOptions { get; init; }

    /// <summary>Accepted and ignored: the tenant comes from the gateway's signed headers.</summary>
    public JsonElement? User { get; init; }

    /// <summary>Extension (vLLM): keep generating past end-of-sequence tokens.</summary>
    public bool? IgnoreEos { get; init; }

    /// <summary>{"type": "text" | "json_object" | "json_schema", "json_schema": {...}}; checked by <see cref="StructuredOutputRequest"/>.</summary>
    public JsonElement? ResponseFormat { get; init; }

    /// <summary>[{"type": "function", "function": {"name", "description", "parameters", "strict"}}].</summary>
    public JsonElement? Tools { get; init; }

    /// <summary>"none" | "auto" | "required" | {"type": "function", "function": {"name"}}.</summary>
    public JsonElement? ToolChoice { get; init; }

    public bool? ParallelToolCalls { get; init; }

    /// <summary>{"token id": bias}.</summary>
    public JsonElement? LogitBias { get; init; }

    /// <summary>Extension (vLLM): false renders sampled special and added tokens into the text; true (default) leaves them out.</summary>
    public bool? SkipSpecialTokens { get; init; }
}
