namespace Maas.Generation.Responses;

/// <summary>The function part of a <see cref="ChatToolCallDelta"/>: the name in the first piece, argument text in each.</summary>
public sealed record ChatFunctionCallDelta(string? Name, string Arguments);
