using Maas.Infrastructure.Persistence;

namespace Maas.Infrastructure.Billing;

/// <summary>A key's monthly budget (null: none) and what it spent this month.</summary>
public sealed record KeyBudget(ApiKey Key, decimal? MonthlyBudget, decimal SpentThisMonth);
