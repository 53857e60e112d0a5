using Maas.Infrastructure.Persistence;
using StackExchange.Redis;

namespace Maas.Infrastructure.Tenancy;

/// <summary>
/// The one implementation of "revoke a key" (`maas key revoke`, the portal): revoked_at in PostgreSQL first (the
/// source of truth, which gateways read on a cache miss), then the key id on the revocation channel so every gateway
/// drops the key from its cache at once.
/// </summary>
public sealed class ApiKeyRevoker(MaasDbContext db, ApiKeyRevocation revocation, TimeProvider? time = null)
{
    /// <summary>
    /// Revokes the key named by id or display prefix (only among <paramref name="tenantId"/>'s keys when given) and
    /// announces it on <paramref name="redis"/>; a revoked key is announced again. Redis being unavailable is reported
    /// in the result, not thrown: the revocation itself has committed.
    /// </summary>
    public async Task<ApiKeyRevocationResult> RevokeAsync(string keyIdOrDisplayPrefix, string? tenantId, IConnectionMultiplexer? redis, CancellationToken cancellationToken)
    {
        var revoked = await new ApiKeyRegistry(db, time).RevokeAsync(keyIdOrDisplayPrefix, tenantId, cancellationToken);
        if (redis is null || !redis.IsConnected)
        {
            return new ApiKeyRevocationResult(revoked.Key, revoked.WasActive, revocation.Channel, 0, "not connected to Redis");
        }

        try
        {
            var receivers = await revocation.PublishAsync(redis, revoked.Key.Id, cancellationToken);
            return new ApiKeyRevocationResult(revoked.Key, revoked.WasActive, revocation.Channel, receivers, null);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return new ApiKeyRevocationResult(revoked.Key, revoked.WasActive, revocation.Channel, 0, ex.Message);
        }
    }
}
