namespace Maas.Tokenization;

/// <summary>A function call an assistant turn made: the function's name and its arguments as JSON text.</summary>
public sealed record ChatToolCall(string Name, string Arguments);
