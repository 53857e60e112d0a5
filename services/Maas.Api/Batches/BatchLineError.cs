namespace Maas.Api.Batches;

/// <summary>One validation error of a batch's input file (1-based line, or null for the file as a whole).</summary>
public sealed record BatchLineError(string Code, string Message, string? Param, int? Line);
