namespace Maas.Infrastructure.Administration;

/// <summary>A filter over the audit log; null fields match everything. <see cref="To"/> is exclusive.</summary>
public sealed record AuditQuery(string? Actor = null, string? Action = null, string? TenantId = null, DateTimeOffset? From = null, DateTimeOffset? To = null, int Limit = 200);
