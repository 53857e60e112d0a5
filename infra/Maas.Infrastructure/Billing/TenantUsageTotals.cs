namespace Maas.Infrastructure.Billing;

/// <summary>One tenant's usage and cost over a range (the portal's tenant list: month to date).</summary>
public sealed record TenantUsageTotals(string TenantId, long Requests, long PromptTokens, long CachedPromptTokens, long CompletionTokens, decimal Cost, long UnpricedRequests)
{
    public long TotalTokens => PromptTokens + CompletionTokens;
}
