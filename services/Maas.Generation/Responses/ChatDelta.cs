namespace Maas.Generation.Responses;

/// <summary>The new part of the assistant message; role only in the first chunk, nothing in the last; tool-call pieces as OpenAI streams them.</summary>
public sealed record ChatDelta(string? Role, string? Content, IReadOnlyList<ChatToolCallDelta>? ToolCalls = null);
