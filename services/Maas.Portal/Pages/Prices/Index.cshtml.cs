using System.Globalization;
using Maas.Infrastructure.Administration;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;
using Maas.Portal.Auditing;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Maas.Portal.Pages.Prices;

/// <summary>
/// The effective-dated price book (<see cref="PriceBookRegistry"/>, as `maas price`): rows are never edited, so past and
/// current rows are read-only and a price change is a new row taking effect now or later. A new row may not start in
/// the past: usage already recorded keeps the price that priced it, and invoices must agree with the book.
/// </summary>
public sealed class IndexModel(MaasDbContext db, PortalAudit audit, TimeProvider time) : PageModel
{
    public IReadOnlyList<PriceRow> Rows { get; private set; } = [];

    public IReadOnlyList<string> KnownModels { get; private set; } = [];

    public string? Currency { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var prices = await new PriceBookRegistry(db, time).ListAsync(null, cancellationToken);
        Currency = prices.FirstOrDefault()?.Currency;
        Rows = prices
            .GroupBy(p => (p.Model, p.FineTune))
            .SelectMany(g =>
            {
                var ordered = g.OrderBy(p => p.EffectiveFrom).ToList();
                return ordered.Select((p, i) =>
                {
                    DateTimeOffset? until = i + 1 < ordered.Count ? ordered[i + 1].EffectiveFrom : null;
                    var state = p.EffectiveFrom > now ? PriceRow.Scheduled : until is { } u && u <= now ? PriceRow.Past : PriceRow.InEffect;
                    return new PriceRow(p, until, state);
                });
            })
            .OrderBy(r => r.Price.Model, StringComparer.Ordinal).ThenBy(r => r.Price.FineTune, StringComparer.Ordinal).ThenByDescending(r => r.Price.EffectiveFrom)
            .ToList();
        KnownModels = (await db.Models.AsNoTracking().Select(m => m.Id).ToListAsync(cancellationToken))
            .Concat(prices.Select(p => p.Model)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    public async Task<IActionResult> OnPostAddAsync(
        string model, string? fineTune, string inputMiss, string inputHit, string output, string? batchDiscount, string? currency, string? effectiveFrom, CancellationToken cancellationToken)
    {
        try
        {
            var now = time.GetUtcNow();
            var from = string.IsNullOrWhiteSpace(effectiveFrom) ? now : Time(effectiveFrom);
            if (from < now.AddMinutes(-1))
            {
                throw new BillingException("past prices are read-only: a new price takes effect now or later.");
            }

            var book = await new PriceBookRegistry(db, time).LoadAsync(cancellationToken);
            var row = await new PriceBookRegistry(db, time).SetAsync(
                model ?? "", fineTune, Amount(inputMiss, "input (cache miss)"), Amount(inputHit, "input (cache hit)"), Amount(output, "output"),
                book.Currency ?? (string.IsNullOrWhiteSpace(currency) ? "USD" : currency),
                string.IsNullOrWhiteSpace(batchDiscount) ? 0 : Amount(batchDiscount, "batch discount"),
                from, cancellationToken);
            await audit.AppendAsync(AuditActions.PriceAdd, null, row.FineTune is null ? row.Model : $"{row.Model}/{row.FineTune}", null,
                new { row.Id, row.Model, row.FineTune, row.EffectiveFrom, row.Currency, row.InputCacheMissPerMillion, row.InputCacheHitPerMillion, row.OutputPerMillion, row.BatchDiscount },
                cancellationToken);
            TempData["Status"] = $"Price of {row.Model} from {row.EffectiveFrom:yyyy-MM-dd HH:mm} UTC added.";
        }
        catch (BillingException ex)
        {
            TempData["Error"] = ex.Message;
        }

        return RedirectToPage();
    }

    private static decimal Amount(string? text, string field) =>
        decimal.TryParse(text?.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new BillingException($"{field}: '{text}' is not an amount such as 0.27.");

    /// <summary>A date and time from the form (datetime-local, taken as UTC) or ISO 8601.</summary>
    private static DateTimeOffset Time(string text) =>
        DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : throw new BillingException($"'{text}' is not a date and time such as 2026-12-01T00:00.");
}
