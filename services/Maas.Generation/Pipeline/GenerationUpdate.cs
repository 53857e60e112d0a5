using Maas.Generation.Responses;

namespace Maas.Generation.Pipeline;

/// <summary>
/// One step of a generation as the pipeline yields it: new text (may be empty while the engine holds back part of a
/// character or a possible stop string), the token's logprobs when they were asked for, and on the last update the
/// OpenAI finish reason and the usage. <see cref="TokenId"/> is the generated token (-1 on an update without one);
/// <see cref="ToolCall"/> is the part of a tool call the token completed, when tools were offered (its text is then not
/// content).
/// </summary>
public sealed record GenerationUpdate(string Text, ChatTokenLogprob? Logprob, string? FinishReason, CompletionUsage? Usage, int TokenId = -1, ChatToolCallDelta? ToolCall = null);
