namespace Maas.Infrastructure.Tenancy;

/// <summary>A tenancy operation refused for a reason the operator can fix (unknown tenant, ambiguous key prefix, ...).</summary>
public sealed class TenancyException(string message) : Exception(message);
