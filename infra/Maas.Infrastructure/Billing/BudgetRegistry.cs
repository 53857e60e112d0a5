using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Maas.Infrastructure.Billing;

/// <summary>
/// Monthly budgets of tenants and keys: the one implementation of `maas budget set|show` and the portal's budget forms.
/// Tenant grains re-read budgets with the tenant policy (Maas:Tenancy:PolicyRefreshInterval, 30 s by default).
/// </summary>
public sealed class BudgetRegistry(MaasDbContext db, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Sets (or, with null, clears) the tenant's budget, or one of its keys' when <paramref name="keyId"/> is given.</summary>
    public async Task<BudgetChange> SetAsync(string tenantId, Guid? keyId, decimal? monthlyBudget, CancellationToken cancellationToken)
    {
        if (monthlyBudget is < 0)
        {
            throw new BillingException("a budget must not be negative.");
        }

        decimal? before;
        if (keyId is { } id)
        {
            var key = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id && k.TenantId == tenantId, cancellationToken)
                ?? throw new BillingException($"tenant '{tenantId}' has no key '{id}'.");
            before = key.MonthlyBudget;
            key.MonthlyBudget = monthlyBudget;
        }
        else
        {
            var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.Id == tenantId, cancellationToken)
                ?? throw new BillingException($"tenant '{tenantId}' does not exist.");
            before = tenant.MonthlyBudget;
            tenant.MonthlyBudget = monthlyBudget;
        }

        await db.SaveChangesAsync(cancellationToken);
        return new BudgetChange(tenantId, keyId, before, monthlyBudget);
    }

    /// <summary>The tenant's and its keys' budgets with this month's (UTC) recorded spend.</summary>
    public async Task<TenantBudgets> ShowAsync(string tenantId, CancellationToken cancellationToken)
    {
        var tenant = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == tenantId, cancellationToken)
            ?? throw new BillingException($"tenant '{tenantId}' does not exist.");
        var spent = await UsageReport.CostByKeyAsync(db, tenantId, UsageReport.MonthStart(_time.GetUtcNow()), cancellationToken);
        var currency = (await new PriceBookRegistry(db, _time).LoadAsync(cancellationToken)).Currency;
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.TenantId == tenantId).OrderBy(k => k.CreatedAt).ToListAsync(cancellationToken);
        return new TenantBudgets(
            tenantId,
            tenant.MonthlyBudget,
            spent.Values.Sum(),
            currency,
            keys.Select(k => new KeyBudget(k, k.MonthlyBudget, spent.GetValueOrDefault(k.Id.ToString("D")))).ToList());
    }
}
