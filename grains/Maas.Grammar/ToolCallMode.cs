namespace Maas.Grammar;

/// <summary>How a tool-call grammar starts.</summary>
public enum ToolCallMode
{
    /// <summary>The model writes text or calls tools: the grammar applies once it emits the calls-begin token.</summary>
    Auto,

    /// <summary>The answer is tool calls and nothing else (tool_choice "required" or a named function).</summary>
    Required,
}
