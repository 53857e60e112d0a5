using System.Text.Json.Serialization;

namespace Maas.Generation.Responses;

/// <summary>The assistant message of a chat.completion: content null when the answer is only tool calls.</summary>
public sealed record ChatResponseMessage(
    string Role,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Content,
    IReadOnlyList<ChatToolCall>? ToolCalls = null);
