namespace Maas.Generation.Responses;

/// <summary>A whole tool call of a chat.completion message.</summary>
public sealed record ChatToolCall(string Id, ChatFunctionCall Function)
{
    public string Type => "function";
}
