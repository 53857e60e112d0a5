using Maas.Infrastructure.Metering;
using Maas.Infrastructure.Persistence;

namespace Maas.Infrastructure.Billing;

/// <summary>
/// What a request costs at one price-book row, per token class, in exact decimals (never floating point): prompt
/// tokens not served from the cache at the cache-miss price, cached ones at the cache-hit price, completion tokens at
/// the output price, all less the batch discount for batch usage. Rounding happens only on invoices.
/// </summary>
public sealed record UsageCharge(long PriceId, string Currency, decimal InputCacheMissCost, decimal InputCacheHitCost, decimal OutputCost)
{
    private const decimal Million = 1_000_000m;

    public decimal Total => InputCacheMissCost + InputCacheHitCost + OutputCost;

    public static UsageCharge Of(ModelPrice price, int promptTokens, int cachedPromptTokens, int completionTokens, bool batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(promptTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(completionTokens);
        var cached = Math.Clamp(cachedPromptTokens, 0, promptTokens);
        var factor = batch ? 1m - price.BatchDiscount : 1m;
        return new UsageCharge(
            price.Id,
            price.Currency,
            (promptTokens - cached) * price.InputCacheMissPerMillion / Million * factor,
            cached * price.InputCacheHitPerMillion / Million * factor,
            completionTokens * price.OutputPerMillion / Million * factor);
    }

    public static UsageCharge Of(ModelPrice price, UsageRecord record) =>
        Of(price, record.PromptTokens, record.CachedPromptTokens, record.CompletionTokens, record.Source == UsageSource.Batch);

    /// <summary>
    /// The most a request can cost before it runs: every prompt token at the cache-miss price and every token
    /// max_tokens allows at the output price, without the batch discount. Budgets reserve this at admission.
    /// </summary>
    public static decimal WorstCase(ModelPrice price, int promptTokens, int maxTokens) =>
        Of(price, promptTokens, 0, maxTokens, batch: false).Total;
}
