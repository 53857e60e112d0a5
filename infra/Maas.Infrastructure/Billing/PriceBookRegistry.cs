using System.Text.RegularExpressions;
using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Maas.Infrastructure.Billing;

/// <summary>Sets and lists prices (the one code path of `maas price`, `maas dev seed` and the test fixtures).</summary>
public sealed partial class PriceBookRegistry(MaasDbContext db, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>
    /// Adds a price-book row taking effect at <paramref name="effectiveFrom"/> (now when null). Rows are never edited,
    /// so a usage record keeps pointing at the price that priced it. One currency per deployment: budgets and invoices
    /// add amounts up, so a second currency is refused.
    /// </summary>
    public async Task<ModelPrice> SetAsync(
        string model,
        string? fineTune,
        decimal inputCacheMissPerMillion,
        decimal inputCacheHitPerMillion,
        decimal outputPerMillion,
        string currency,
        decimal batchDiscount,
        DateTimeOffset? effectiveFrom,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            throw new BillingException("model must not be empty.");
        }

        if (inputCacheMissPerMillion < 0 || inputCacheHitPerMillion < 0 || outputPerMillion < 0)
        {
            throw new BillingException("prices must not be negative.");
        }

        if (batchDiscount is < 0 or > 1)
        {
            throw new BillingException("the batch discount is a fraction between 0 and 1 (0.5 halves batch prices).");
        }

        currency = currency.Trim().ToUpperInvariant();
        if (!CurrencyPattern().IsMatch(currency))
        {
            throw new BillingException($"currency '{currency}' is not an ISO 4217 code such as USD.");
        }

        var existing = await db.Prices.AsNoTracking().Where(p => p.Currency != currency).Select(p => p.Currency).FirstOrDefaultAsync(cancellationToken);
        if (existing is not null)
        {
            throw new BillingException($"the price book is in {existing}; a deployment bills in one currency, so {currency} cannot be added.");
        }

        var now = _time.GetUtcNow();
        var row = new ModelPrice
        {
            Model = model.Trim(),
            FineTune = string.IsNullOrWhiteSpace(fineTune) ? null : fineTune.Trim(),
            EffectiveFrom = Metering.UsageRecord.Microseconds(effectiveFrom ?? now),
            Currency = currency,
            InputCacheMissPerMillion = inputCacheMissPerMillion,
            InputCacheHitPerMillion = inputCacheHitPerMillion,
            OutputPerMillion = outputPerMillion,
            BatchDiscount = batchDiscount,
            CreatedAt = now,
        };
        if (await db.Prices.AnyAsync(p => p.Model == row.Model && p.FineTune == row.FineTune && p.EffectiveFrom == row.EffectiveFrom, cancellationToken))
        {
            throw new BillingException($"model '{row.Model}' already has a price taking effect at {row.EffectiveFrom:O}.");
        }

        db.Prices.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        return row;
    }

    /// <summary>Every row (of one model when given), by model, fine-tune and effective date.</summary>
    public async Task<IReadOnlyList<ModelPrice>> ListAsync(string? model, CancellationToken cancellationToken)
    {
        var query = db.Prices.AsNoTracking();
        if (model is not null)
        {
            query = query.Where(p => p.Model == model);
        }

        return await query.OrderBy(p => p.Model).ThenBy(p => p.FineTune).ThenBy(p => p.EffectiveFrom).ToListAsync(cancellationToken);
    }

    /// <summary>The current price book (for tools that price outside a serving process).</summary>
    public async Task<PriceBook> LoadAsync(CancellationToken cancellationToken) =>
        new(await db.Prices.AsNoTracking().ToListAsync(cancellationToken), _time.GetUtcNow());

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex CurrencyPattern();
}
