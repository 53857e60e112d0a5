namespace Maas.Grains.Abstractions.Tenancy;

/// <summary>
/// A tenant's spend this calendar month (UTC) as its grain keeps it: settled cost of finished requests, worst-case cost
/// reserved by running ones, and the budgets they count against (null: no limit). Amounts are in the price book's currency.
/// </summary>
[GenerateSerializer, Immutable, Alias("Maas.TenantSpend")]
public sealed record TenantSpend(
    [property: Id(0)] DateTimeOffset Month,
    [property: Id(1)] decimal? MonthlyBudget,
    [property: Id(2)] decimal Spent,
    [property: Id(3)] decimal Reserved,
    [property: Id(4)] IReadOnlyDictionary<string, decimal> SpentByKey,
    [property: Id(5)] IReadOnlyDictionary<string, decimal> KeyBudgets);
