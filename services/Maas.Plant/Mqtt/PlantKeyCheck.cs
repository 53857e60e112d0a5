using Maas.Infrastructure.Persistence;
using Maas.Infrastructure.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Maas.Plant.Mqtt;

/// <summary>
/// The MQTT password is a tenant API key: looked up by its SHA-256 hash (<see cref="ApiKeyRegistry.FindBySecretAsync"/>,
/// the key path every service shares), refused when unknown, revoked or its tenant is disabled. MQTT does not pass the
/// gateway, so this is the gateway's check done here.
/// </summary>
public sealed class PlantKeyCheck(IDbContextFactory<MaasDbContext> contexts)
{
    public async Task<PlantKeyCheckResult> CheckAsync(string? secret, CancellationToken cancellationToken)
    {
        // As at the gateway: a secret without the shape of a key is refused before it is hashed or looked up.
        if (secret is null || !ApiKeySecret.IsWellFormed(secret.Trim()))
        {
            return PlantKeyCheckResult.Refused("malformed");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var key = await new ApiKeyRegistry(db).FindBySecretAsync(secret.Trim(), cancellationToken);
        if (key is null)
        {
            return PlantKeyCheckResult.Refused("unknown");
        }

        if (key.RevokedAt is not null)
        {
            return PlantKeyCheckResult.Refused("revoked");
        }

        if (key.Tenant is null || key.Tenant.Disabled)
        {
            return PlantKeyCheckResult.Refused("tenant_disabled");
        }

        return new PlantKeyCheckResult(null, key.TenantId, key.Id, key.RequestsPerMinute ?? key.Tenant.RequestsPerMinute, key.Tenant.RequestsPerMinute);
    }

    /// <summary>True while the key is still usable (for the periodic re-check of connected keys).</summary>
    public async Task<bool> IsActiveAsync(Guid keyId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.ApiKeys.AsNoTracking().AnyAsync(k => k.Id == keyId && k.RevokedAt == null && !k.Tenant!.Disabled, cancellationToken);
    }
}
