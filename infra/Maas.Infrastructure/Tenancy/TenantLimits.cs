namespace Maas.Infrastructure.Tenancy;

/// <summary>A tenant's admission limits and status, as `maas tenant set` and the portal change them.</summary>
public sealed record TenantLimits(int MaxConcurrentRequests, int RequestsPerMinute, bool Disabled);
