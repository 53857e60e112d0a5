using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;
using Maas.Portal.Charts;

namespace Maas.Portal.Pages;

/// <summary>A line of the tenant list: the tenant, its month-to-date usage and its keys.</summary>
public sealed record TenantRow(Tenant Tenant, TenantUsageTotals? MonthToDate, int ActiveKeys)
{
    public decimal Spend => MonthToDate?.Cost ?? 0;

    public long Tokens => MonthToDate?.TotalTokens ?? 0;

    public long Requests => MonthToDate?.Requests ?? 0;

    /// <summary>Spend / budget; -1 without a budget (sorts below every budgeted tenant).</summary>
    public double BudgetUse => Tenant.MonthlyBudget is null ? -1 : BudgetBar.Fraction(Spend, Tenant.MonthlyBudget);

    public string BudgetState => BudgetBar.State(Spend, Tenant.MonthlyBudget);

    public string Status => Tenant.Disabled ? "disabled" : BudgetState == "over" ? "over budget" : "active";
}
