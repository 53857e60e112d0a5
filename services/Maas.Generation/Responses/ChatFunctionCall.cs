namespace Maas.Generation.Responses;

/// <summary>The function a tool call calls and its arguments as JSON text.</summary>
public sealed record ChatFunctionCall(string Name, string Arguments);
