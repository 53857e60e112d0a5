using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Maas.Infrastructure.Billing;

/// <summary>
/// Monthly invoices from the hourly rollups: one line per model (and fine-tune) and token class, amounts rounded to
/// the currency's minor unit per line, the total the sum of the lines. Generating is idempotent: the invoice of a
/// tenant and month has one id; generating a draft again recomputes it to the same lines; a finalised invoice is
/// returned as it is (and the database refuses to change it).
/// </summary>
public sealed class InvoiceService(MaasDbContext db, TimeProvider? time = null)
{
    private const decimal Million = 1_000_000m;
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public static string IdFor(string tenantId, DateTimeOffset month) => $"inv_{month.UtcDateTime:yyyyMM}_{tenantId}";

    public static DateTimeOffset MonthStart(int year, int month) => new(year, month, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Generates (or regenerates) the draft invoice of the tenant's month, and finalises it when asked. A month can be
    /// finalised only once it has ended and when all its usage is priced.
    /// </summary>
    public async Task<Invoice> GenerateAsync(string tenantId, DateTimeOffset month, bool finalize, CancellationToken cancellationToken)
    {
        var start = new DateTimeOffset(month.UtcDateTime.Year, month.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var end = start.AddMonths(1);
        var now = _time.GetUtcNow();
        if (!await db.Tenants.AnyAsync(t => t.Id == tenantId, cancellationToken))
        {
            throw new BillingException($"tenant '{tenantId}' does not exist.");
        }

        var id = IdFor(tenantId, start);
        await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, cancellationToken);
        var invoice = await db.Invoices.Include(i => i.Lines).SingleOrDefaultAsync(i => i.Id == id, cancellationToken);
        if (invoice?.Status == InvoiceStatuses.Finalized)
        {
            return invoice;
        }

        var usage = await db.UsageHourly.AsNoTracking()
            .Where(u => u.TenantId == tenantId && u.Hour >= start && u.Hour < end)
            .GroupBy(u => new { u.Model, u.FineTune })
            .Select(g => new
            {
                g.Key.Model,
                g.Key.FineTune,
                Prompt = g.Sum(u => u.PromptTokens),
                Cached = g.Sum(u => u.CachedPromptTokens),
                Completion = g.Sum(u => u.CompletionTokens),
                MissCost = g.Sum(u => u.InputCacheMissCost),
                HitCost = g.Sum(u => u.InputCacheHitCost),
                OutputCost = g.Sum(u => u.OutputCost),
                Unpriced = g.Sum(u => u.UnpricedRequests),
            })
            .ToListAsync(cancellationToken);

        if (finalize)
        {
            if (end > now)
            {
                throw new BillingException($"{start:yyyy-MM} has not ended yet; it can be finalised from {end:yyyy-MM-dd} (UTC).");
            }

            if (usage.Where(u => u.Unpriced > 0).Select(u => $"{u.Model}: {u.Unpriced} requests").ToList() is { Count: > 0 } unpriced)
            {
                throw new BillingException($"{start:yyyy-MM} has usage recorded without a price ({string.Join(", ", unpriced)}); it cannot be finalised.");
            }
        }

        var currency = await db.Prices.AsNoTracking().Select(p => p.Currency).FirstOrDefaultAsync(cancellationToken) ?? "USD";
        var lines = new List<InvoiceLine>();
        foreach (var u in usage.OrderBy(u => u.Model, StringComparer.Ordinal).ThenBy(u => u.FineTune, StringComparer.Ordinal))
        {
            AddLine(lines, id, u.Model, u.FineTune, TokenClasses.InputCacheMiss, u.Prompt - u.Cached, u.MissCost, currency);
            AddLine(lines, id, u.Model, u.FineTune, TokenClasses.InputCacheHit, u.Cached, u.HitCost, currency);
            AddLine(lines, id, u.Model, u.FineTune, TokenClasses.Output, u.Completion, u.OutputCost, currency);
        }

        if (invoice is null)
        {
            invoice = new Invoice { Id = id, TenantId = tenantId, Currency = currency, Status = InvoiceStatuses.Draft };
            db.Invoices.Add(invoice);
        }
        else
        {
            db.InvoiceLines.RemoveRange(invoice.Lines);
            invoice.Lines.Clear();
            await db.SaveChangesAsync(cancellationToken);
        }

        invoice.PeriodStart = start;
        invoice.PeriodEnd = end;
        invoice.Currency = currency;
        invoice.GeneratedAt = now;
        invoice.Lines.AddRange(lines);
        invoice.Total = lines.Sum(l => l.Amount);
        await db.SaveChangesAsync(cancellationToken);
        if (finalize)
        {
            // A separate update, so the lines are in place before the trigger starts guarding them.
            invoice.Status = InvoiceStatuses.Finalized;
            invoice.FinalizedAt = now;
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return invoice;
    }

    /// <summary>
    /// <see cref="GenerateAsync"/> for every tenant, one after another; a tenant whose invoice is refused (e.g. unpriced
    /// usage when finalising) is reported with its reason and does not stop the others.
    /// </summary>
    public async Task<IReadOnlyList<InvoiceRun>> GenerateForAllTenantsAsync(DateTimeOffset month, bool finalize, CancellationToken cancellationToken)
    {
        var tenants = await db.Tenants.AsNoTracking().OrderBy(t => t.Id).Select(t => t.Id).ToListAsync(cancellationToken);
        var runs = new List<InvoiceRun>(tenants.Count);
        foreach (var tenantId in tenants)
        {
            try
            {
                runs.Add(new InvoiceRun(tenantId, await GenerateAsync(tenantId, month, finalize, cancellationToken), null));
            }
            catch (BillingException ex)
            {
                db.ChangeTracker.Clear();
                runs.Add(new InvoiceRun(tenantId, null, ex.Message));
            }
        }

        return runs;
    }

    public async Task<Invoice?> FindAsync(string id, CancellationToken cancellationToken) =>
        await db.Invoices.AsNoTracking().Include(i => i.Lines.OrderBy(l => l.LineNumber)).SingleOrDefaultAsync(i => i.Id == id, cancellationToken);

    public async Task<IReadOnlyList<Invoice>> ListAsync(string? tenantId, CancellationToken cancellationToken)
    {
        var query = db.Invoices.AsNoTracking();
        if (tenantId is not null)
        {
            query = query.Where(i => i.TenantId == tenantId);
        }

        return await query.OrderBy(i => i.TenantId).ThenBy(i => i.PeriodStart).ToListAsync(cancellationToken);
    }

    /// <summary>Rounds to the currency's minor unit, half away from zero.</summary>
    public static decimal Round(decimal amount, string currency) => Math.Round(amount, MinorUnits(currency), MidpointRounding.AwayFromZero);

    /// <summary>Digits after the decimal point of the currency's minor unit (ISO 4217 exponent; 2 unless listed).</summary>
    public static int MinorUnits(string currency) =>
        currency is "JPY" or "KRW" or "VND" or "CLP" or "ISK" ? 0 : currency is "BHD" or "KWD" or "OMR" or "JOD" or "TND" ? 3 : 2;

    private static void AddLine(List<InvoiceLine> lines, string invoiceId, string model, string fineTune, string tokenClass, long tokens, decimal exactCost, string currency)
    {
        if (tokens == 0 && exactCost == 0)
        {
            return;
        }

        lines.Add(new InvoiceLine
        {
            InvoiceId = invoiceId,
            LineNumber = lines.Count + 1,
            Model = model,
            FineTune = fineTune,
            TokenClass = tokenClass,
            Tokens = tokens,
            AveragePricePerMillion = tokens == 0 ? 0 : Math.Round(exactCost / tokens * Million, 6, MidpointRounding.AwayFromZero),
            Amount = Round(exactCost, currency),
        });
    }
}
