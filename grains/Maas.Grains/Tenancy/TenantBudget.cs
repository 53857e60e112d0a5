using Maas.Grains.Abstractions.Tenancy;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Maas.Grains.Tenancy;

/// <summary>
/// A tenant's monthly budgets inside its grain. Month-to-date spend is read from the hourly rollups once (on
/// activation), then kept current in memory: admission reserves each request's worst-case cost, release replaces the
/// reservation by the real cost. The grain runs one call at a time, so check-and-reserve is atomic: concurrent requests
/// can never together exceed a budget, and admission needs no database query. Months are UTC calendar months; a
/// request's cost counts in the month it was admitted (as its usage record does, by its received time).
/// </summary>
internal sealed class TenantBudget
{
    private readonly Dictionary<string, Reservation> _reservations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, decimal> _keySpent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, decimal> _keyReserved = new(StringComparer.Ordinal);
    private Dictionary<string, decimal> _keyLimits = new(StringComparer.Ordinal);
    private decimal? _tenantLimit;
    private decimal _spent;
    private decimal _reserved;
    private DateTimeOffset _month;

    /// <summary>Reads this month's settled spend per key from usage_hourly (one query, on activation).</summary>
    public async Task LoadSpendAsync(MaasDbContext db, string tenantId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var month = UsageReport.MonthStart(now);
        var byKey = await UsageReport.CostByKeyAsync(db, tenantId, month, cancellationToken);
        _month = month;
        _keySpent.Clear();
        foreach (var (key, cost) in byKey)
        {
            _keySpent[key] = cost;
        }

        _spent = byKey.Values.Sum();
    }

    /// <summary>Reads the tenant's and its live keys' budgets (with the policy, on activation and every refresh).</summary>
    public async Task LoadLimitsAsync(MaasDbContext db, string tenantId, CancellationToken cancellationToken)
    {
        var tenantLimit = await db.Tenants.AsNoTracking().Where(t => t.Id == tenantId).Select(t => t.MonthlyBudget).FirstOrDefaultAsync(cancellationToken);
        var keyLimits = await db.ApiKeys.AsNoTracking()
            .Where(k => k.TenantId == tenantId && k.MonthlyBudget != null && k.RevokedAt == null)
            .Select(k => new { k.Id, k.MonthlyBudget })
            .ToListAsync(cancellationToken);
        _tenantLimit = tenantLimit;
        _keyLimits = keyLimits.ToDictionary(k => k.Id.ToString("D"), k => k.MonthlyBudget!.Value, StringComparer.Ordinal);
    }

    /// <summary>
    /// Reserves <paramref name="worstCase"/> for the request, or says which budget it does not fit in. A request id
    /// already holding a reservation keeps it (a retried admission).
    /// </summary>
    public string? TryReserve(string requestId, string keyId, ModelPrice price, decimal worstCase, DateTimeOffset now)
    {
        RollMonth(now);
        if (_reservations.ContainsKey(requestId))
        {
            return null;
        }

        if (_tenantLimit is { } limit && _spent + _reserved + worstCase > limit)
        {
            return Refusal("your organization's", limit, _spent, _reserved, worstCase, price.Currency);
        }

        var keySpent = _keySpent.GetValueOrDefault(keyId);
        var keyReserved = _keyReserved.GetValueOrDefault(keyId);
        if (_keyLimits.TryGetValue(keyId, out var keyLimit) && keySpent + keyReserved + worstCase > keyLimit)
        {
            return Refusal("this API key's", keyLimit, keySpent, keyReserved, worstCase, price.Currency);
        }

        _reservations[requestId] = new Reservation(keyId, price, worstCase, _month);
        _reserved += worstCase;
        _keyReserved[keyId] = keyReserved + worstCase;
        return null;
    }

    /// <summary>Replaces the request's reservation by what it really cost (at the price it was admitted at).</summary>
    public void Settle(string requestId, SettledUsage usage, DateTimeOffset now)
    {
        RollMonth(now);
        if (!Unreserve(requestId, out var reservation))
        {
            return;
        }

        var cost = UsageCharge.Of(reservation.Price, usage.PromptTokens, usage.CachedPromptTokens, usage.CompletionTokens, usage.BatchPriced).Total;
        if (reservation.Month == _month)
        {
            _spent += cost;
            _keySpent[reservation.KeyId] = _keySpent.GetValueOrDefault(reservation.KeyId) + cost;
        }
    }

    /// <summary>Drops a reservation without a cost (its lease expired: the caller died, and no usage was recorded).</summary>
    public void Drop(string requestId) => Unreserve(requestId, out _);

    public TenantSpend Snapshot(DateTimeOffset now)
    {
        RollMonth(now);
        return new TenantSpend(_month, _tenantLimit, _spent, _reserved, new Dictionary<string, decimal>(_keySpent, StringComparer.Ordinal), new Dictionary<string, decimal>(_keyLimits, StringComparer.Ordinal));
    }

    private bool Unreserve(string requestId, out Reservation reservation)
    {
        if (!_reservations.Remove(requestId, out reservation!))
        {
            return false;
        }

        _reserved -= reservation.Amount;
        _keyReserved[reservation.KeyId] = _keyReserved.GetValueOrDefault(reservation.KeyId) - reservation.Amount;
        if (_keyReserved[reservation.KeyId] == 0)
        {
            _keyReserved.Remove(reservation.KeyId);
        }

        return true;
    }

    private void RollMonth(DateTimeOffset now)
    {
        var month = UsageReport.MonthStart(now);
        if (month == _month)
        {
            return;
        }

        // A new month starts with nothing spent; requests still running from the last one keep their reservations.
        _month = month;
        _spent = 0;
        _keySpent.Clear();
    }

    private static string Refusal(string whose, decimal limit, decimal spent, decimal reserved, decimal worstCase, string currency) =>
        $"You exceeded your current quota: {whose} monthly budget is {limit} {currency}; {Math.Round(spent, 4)} is spent and {Math.Round(reserved, 4)} reserved by running requests, " +
        $"and this request may cost up to {Math.Round(worstCase, 6)} (its prompt and max_tokens at current prices). Lower max_tokens or raise the budget.";

    private sealed record Reservation(string KeyId, ModelPrice Price, decimal Amount, DateTimeOffset Month);
}
