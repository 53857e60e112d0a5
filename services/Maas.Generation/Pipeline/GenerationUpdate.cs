using Maas.Generation.Responses;

namespace Maas.Generation.Pipeline;

/// <summary>
/// One step of a generation as the pipeline yields it: new text (may be empty while the engine holds back part of a
/// character or a possible stop string), the token's logprobs when they were asked for, and on the last update the
/// OpenAI finish reason and the usage.
/// </summary>
public sealed record GenerationUpdate(string Text, ChatTokenLogprob? Logprob, string? FinishReason, CompletionUsage? Usage);
