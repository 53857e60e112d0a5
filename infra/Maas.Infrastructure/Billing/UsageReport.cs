using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Maas.Infrastructure.Billing;

/// <summary>
/// A tenant's usage and cost over a range, from the hourly rollups (so times are whole UTC hours: the start rounds down,
/// the end up). The one query behind GET /v1/usage and `maas usage`; it only ever reads the given tenant's rows.
/// </summary>
public static class UsageReport
{
    /// <summary>The longest range one report covers.</summary>
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(366);

    public static async Task<IReadOnlyList<UsageBucket>> QueryAsync(MaasDbContext db, string tenantId, DateTimeOffset start, DateTimeOffset end, UsageGrouping grouping, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        var from = FloorHour(start);
        var to = CeilingHour(end);
        if (to <= from)
        {
            throw new BillingException("the end of the range must be after its start.");
        }

        if (to - from > MaxRange)
        {
            throw new BillingException($"a usage report covers at most {MaxRange.TotalDays:0} days.");
        }

        var rows = await db.UsageHourly.AsNoTracking()
            .Where(u => u.TenantId == tenantId && u.Hour >= from && u.Hour < to)
            .Select(u => new { u.Hour, u.Model, u.KeyId, u.Requests, u.PromptTokens, u.CachedPromptTokens, u.CompletionTokens, u.Cost })
            .ToListAsync(cancellationToken);

        var byDay = grouping.HasFlag(UsageGrouping.Day);
        var byModel = grouping.HasFlag(UsageGrouping.Model);
        var byKey = grouping.HasFlag(UsageGrouping.Key);
        return rows
            .GroupBy(r => (Day: byDay ? FloorDay(r.Hour) : from, Model: byModel ? r.Model : null, Key: byKey ? r.KeyId : null))
            .Select(g => new UsageBucket(
                g.Key.Day < from ? from : g.Key.Day,
                byDay ? Min(g.Key.Day.AddDays(1), to) : to,
                g.Key.Model,
                g.Key.Key,
                g.Sum(r => r.Requests),
                g.Sum(r => r.PromptTokens),
                g.Sum(r => r.CachedPromptTokens),
                g.Sum(r => r.CompletionTokens),
                g.Sum(r => r.Cost)))
            .OrderBy(b => b.Start).ThenBy(b => b.Model, StringComparer.Ordinal).ThenBy(b => b.KeyId, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>"day,model,key" (comma-separated, any order; "api_key_id" for key) as a grouping.</summary>
    public static UsageGrouping ParseGrouping(string text)
    {
        var grouping = UsageGrouping.None;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            grouping |= part switch
            {
                "day" => UsageGrouping.Day,
                "model" => UsageGrouping.Model,
                "key" or "api_key_id" => UsageGrouping.Key,
                _ => throw new BillingException($"group_by takes day, model and key (comma-separated), not '{part}'."),
            };
        }

        return grouping;
    }

    /// <summary>The tenant's cost per key since <paramref name="from"/> (a month's start), from the rollups: budgets' month-to-date spend.</summary>
    public static async Task<IReadOnlyDictionary<string, decimal>> CostByKeyAsync(MaasDbContext db, string tenantId, DateTimeOffset from, CancellationToken cancellationToken)
    {
        var rows = await db.UsageHourly.AsNoTracking()
            .Where(u => u.TenantId == tenantId && u.Hour >= from)
            .GroupBy(u => u.KeyId)
            .Select(g => new { Key = g.Key, Cost = g.Sum(u => u.Cost) })
            .ToListAsync(cancellationToken);
        return rows.ToDictionary(r => r.Key, r => r.Cost, StringComparer.Ordinal);
    }

    /// <summary>Every tenant's usage and cost from <paramref name="from"/> (a month's start) on, from the rollups; tenants without usage are absent.</summary>
    public static async Task<IReadOnlyDictionary<string, TenantUsageTotals>> TotalsByTenantAsync(MaasDbContext db, DateTimeOffset from, CancellationToken cancellationToken)
    {
        var rows = await db.UsageHourly.AsNoTracking()
            .Where(u => u.Hour >= from)
            .GroupBy(u => u.TenantId)
            .Select(g => new TenantUsageTotals(
                g.Key,
                g.Sum(u => u.Requests),
                g.Sum(u => u.PromptTokens),
                g.Sum(u => u.CachedPromptTokens),
                g.Sum(u => u.CompletionTokens),
                g.Sum(u => u.Cost),
                g.Sum(u => u.UnpricedRequests)))
            .ToListAsync(cancellationToken);
        return rows.ToDictionary(r => r.TenantId, StringComparer.Ordinal);
    }

    public static DateTimeOffset MonthStart(DateTimeOffset at) => new(at.UtcDateTime.Year, at.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero);

    public static DateTimeOffset FloorHour(DateTimeOffset t)
    {
        var u = t.UtcDateTime;
        return new DateTimeOffset(u.Year, u.Month, u.Day, u.Hour, 0, 0, TimeSpan.Zero);
    }

    public static DateTimeOffset CeilingHour(DateTimeOffset t)
    {
        var floor = FloorHour(t);
        return floor == t ? floor : floor.AddHours(1);
    }

    private static DateTimeOffset FloorDay(DateTimeOffset t) => new(t.UtcDateTime.Date, TimeSpan.Zero);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
