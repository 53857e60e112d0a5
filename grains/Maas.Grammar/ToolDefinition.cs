namespace Maas.Grammar;

/// <summary>A function the model may call: its name and its parameters' JSON Schema (JSON text).</summary>
public sealed record ToolDefinition(string Name, string ParametersSchema);
