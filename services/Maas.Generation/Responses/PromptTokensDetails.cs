namespace Maas.Generation.Responses;

/// <summary>Prompt tokens whose KV came from the prefix cache (billed at the cache-hit price).</summary>
public sealed record PromptTokensDetails(int CachedTokens);
