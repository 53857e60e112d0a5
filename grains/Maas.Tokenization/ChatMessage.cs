namespace Maas.Tokenization;

/// <summary>One chat turn; Role is "system", "user", "assistant" or "tool". An assistant turn may carry tool calls.</summary>
public sealed record ChatMessage(string Role, string Content, IReadOnlyList<ChatToolCall>? ToolCalls = null);
