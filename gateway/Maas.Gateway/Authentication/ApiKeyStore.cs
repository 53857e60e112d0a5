using Maas.Gateway.Observability;
using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Maas.Gateway.Authentication;

/// <summary>Reads a key and its tenant from PostgreSQL by secret hash.</summary>
public sealed class ApiKeyStore(IDbContextFactory<MaasDbContext> contexts)
{
    /// <exception cref="ApiKeyStoreUnavailableException">PostgreSQL is unreachable or failed.</exception>
    public async Task<ApiKeyLookup> FindAsync(string secretHash, CancellationToken cancellationToken)
    {
        GatewayMetrics.ApiKeyLookups.Inc();
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var row = await db.ApiKeys
                .AsNoTracking()
                .Where(k => k.SecretHash == secretHash)
                .Select(k => new
                {
                    k.Id,
                    k.TenantId,
                    k.RequestsPerMinute,
                    k.RevokedAt,
                    TenantRequestsPerMinute = k.Tenant!.RequestsPerMinute,
                    TenantDisabled = k.Tenant.Disabled,
                })
                .FirstOrDefaultAsync(cancellationToken);
            if (row is null)
            {
                return ApiKeyLookup.Unknown;
            }

            var identity = new ApiKeyIdentity(row.Id, row.TenantId, row.RequestsPerMinute, row.TenantRequestsPerMinute);
            var status = row.RevokedAt is not null ? ApiKeyStatus.Revoked
                : row.TenantDisabled ? ApiKeyStatus.TenantDisabled
                : ApiKeyStatus.Active;
            return new ApiKeyLookup(status, identity);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new ApiKeyStoreUnavailableException(ex);
        }
    }
}
