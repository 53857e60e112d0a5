namespace Maas.Generation.Responses;

/// <summary>OpenAI usage block.</summary>
public sealed record CompletionUsage(int PromptTokens, int CompletionTokens, int TotalTokens, PromptTokensDetails PromptTokensDetails);
