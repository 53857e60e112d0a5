namespace Maas.Infrastructure.Billing;

/// <summary>A monthly budget as it was and as it is (null: no limit); <see cref="KeyId"/> is set for a key's budget.</summary>
public sealed record BudgetChange(string TenantId, Guid? KeyId, decimal? Before, decimal? After);
