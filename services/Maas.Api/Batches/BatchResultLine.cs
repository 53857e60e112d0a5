namespace Maas.Api.Batches;

/// <summary>One line of a batch's output or error file (OpenAI's shape).</summary>
public sealed record BatchResultLine(string Id, string CustomId, BatchResultResponse? Response, object? Error);
