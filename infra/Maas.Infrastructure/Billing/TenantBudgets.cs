namespace Maas.Infrastructure.Billing;

/// <summary>A tenant's monthly budget and month-to-date spend, and each of its keys', in the price book's currency.</summary>
public sealed record TenantBudgets(string TenantId, decimal? MonthlyBudget, decimal SpentThisMonth, string? Currency, IReadOnlyList<KeyBudget> Keys);
