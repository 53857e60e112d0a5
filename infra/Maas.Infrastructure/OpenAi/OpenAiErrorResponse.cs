namespace Maas.Infrastructure.OpenAi;

/// <summary>The outer object of an OpenAI error body.</summary>
public sealed record OpenAiErrorResponse(OpenAiError Error);
