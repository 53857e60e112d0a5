using System.Text.RegularExpressions;
using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Maas.Infrastructure.Tenancy;

/// <summary>Creates and lists tenants; the one place tenant ids are validated (they end up in grain keys and signed headers).</summary>
public sealed partial class TenantRegistry(MaasDbContext db, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public static bool IsValidId(string id) => TenantIdPattern().IsMatch(id);

    public async Task<Tenant> CreateAsync(string id, string name, IReadOnlyList<string>? allowedModels, int? maxConcurrentRequests, int? requestsPerMinute, CancellationToken cancellationToken)
    {
        if (!IsValidId(id))
        {
            throw new TenancyException($"tenant id '{id}' is invalid: use 1-64 lower-case letters, digits and '-', starting with a letter or digit.");
        }

        if (string.IsNullOrWhiteSpace(name))
        {
            throw new TenancyException("tenant name must not be empty.");
        }

        if (maxConcurrentRequests is <= 0 || requestsPerMinute is <= 0)
        {
            throw new TenancyException("limits must be positive.");
        }

        if (await db.Tenants.AnyAsync(t => t.Id == id, cancellationToken))
        {
            throw new TenancyException($"tenant '{id}' already exists.");
        }

        var tenant = new Tenant
        {
            Id = id,
            Name = name.Trim(),
            AllowedModels = allowedModels?.Where(m => m.Length > 0).Distinct(StringComparer.Ordinal).ToList() ?? [],
            CreatedAt = _time.GetUtcNow(),
        };
        if (maxConcurrentRequests is { } concurrent)
        {
            tenant.MaxConcurrentRequests = concurrent;
        }

        if (requestsPerMinute is { } rpm)
        {
            tenant.RequestsPerMinute = rpm;
        }

        db.Tenants.Add(tenant);
        await db.SaveChangesAsync(cancellationToken);
        return tenant;
    }

    /// <summary>
    /// Changes the given limits (null leaves one as it is); returns them before and after. Tenant grains re-read them
    /// within Maas:Tenancy:PolicyRefreshInterval; gateways within their key cache's lifetime.
    /// </summary>
    public async Task<(TenantLimits Before, TenantLimits After)> SetLimitsAsync(string id, int? maxConcurrentRequests, int? requestsPerMinute, bool? disabled, CancellationToken cancellationToken)
    {
        if (maxConcurrentRequests is <= 0 || requestsPerMinute is <= 0)
        {
            throw new TenancyException("limits must be positive.");
        }

        var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.Id == id, cancellationToken)
            ?? throw new TenancyException($"tenant '{id}' does not exist.");
        var before = new TenantLimits(tenant.MaxConcurrentRequests, tenant.RequestsPerMinute, tenant.Disabled);
        tenant.MaxConcurrentRequests = maxConcurrentRequests ?? tenant.MaxConcurrentRequests;
        tenant.RequestsPerMinute = requestsPerMinute ?? tenant.RequestsPerMinute;
        tenant.Disabled = disabled ?? tenant.Disabled;
        await db.SaveChangesAsync(cancellationToken);
        return (before, new TenantLimits(tenant.MaxConcurrentRequests, tenant.RequestsPerMinute, tenant.Disabled));
    }

    public async Task<Tenant?> FindAsync(string id, CancellationToken cancellationToken)
    {
        return await db.Tenants.SingleOrDefaultAsync(t => t.Id == id, cancellationToken);
    }

    public async Task<IReadOnlyList<Tenant>> ListAsync(CancellationToken cancellationToken)
    {
        return await db.Tenants.AsNoTracking().OrderBy(t => t.Id).ToListAsync(cancellationToken);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex TenantIdPattern();
}
