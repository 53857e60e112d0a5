using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Maas.Infrastructure.Tenancy;

/// <summary>
/// Creates, finds, lists and revokes API keys. The one code path for keys (CLI, dev seed, portal):
/// only <see cref="ApiKeySecret.Hash"/> and <see cref="ApiKeySecret.DisplayPrefix"/> reach the database.
/// </summary>
public sealed class ApiKeyRegistry(MaasDbContext db, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<IssuedApiKey> CreateAsync(string tenantId, string? name, int? requestsPerMinute, CancellationToken cancellationToken)
    {
        if (requestsPerMinute is <= 0)
        {
            throw new TenancyException("requests per minute must be positive.");
        }

        var tenant = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == tenantId, cancellationToken)
            ?? throw new TenancyException($"tenant '{tenantId}' does not exist.");

        var secret = ApiKeySecret.Create();
        var key = new ApiKey
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenant.Id,
            Name = name ?? "",
            DisplayPrefix = ApiKeySecret.DisplayPrefix(secret),
            SecretHash = ApiKeySecret.Hash(secret),
            RequestsPerMinute = requestsPerMinute,
            CreatedAt = _time.GetUtcNow(),
        };
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(cancellationToken);
        return new IssuedApiKey(key, secret);
    }

    /// <summary>The key whose secret hashes to the stored hash, revoked or not (callers check <see cref="ApiKey.RevokedAt"/>).</summary>
    public async Task<ApiKey?> FindBySecretAsync(string secret, CancellationToken cancellationToken)
    {
        var hash = ApiKeySecret.Hash(secret);
        return await db.ApiKeys.AsNoTracking().Include(k => k.Tenant).SingleOrDefaultAsync(k => k.SecretHash == hash, cancellationToken);
    }

    public async Task<IReadOnlyList<ApiKey>> ListAsync(string? tenantId, CancellationToken cancellationToken)
    {
        var query = db.ApiKeys.AsNoTracking();
        if (tenantId is not null)
        {
            query = query.Where(k => k.TenantId == tenantId);
        }

        return await query.OrderBy(k => k.TenantId).ThenBy(k => k.CreatedAt).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Sets revoked_at on the key named by its id or its display prefix. Revoking a revoked key
    /// keeps the first time (so it can be re-announced safely). Publishing is the caller's step,
    /// after this commit: <see cref="ApiKeyRevoker"/> does both.
    /// </summary>
    public async Task<ApiKey> RevokeAsync(string keyIdOrDisplayPrefix, CancellationToken cancellationToken) =>
        (await RevokeAsync(keyIdOrDisplayPrefix, tenantId: null, cancellationToken)).Key;

    /// <summary>As <see cref="RevokeAsync(string, CancellationToken)"/>, only among <paramref name="tenantId"/>'s keys when given.</summary>
    public async Task<RevokedApiKey> RevokeAsync(string keyIdOrDisplayPrefix, string? tenantId, CancellationToken cancellationToken)
    {
        var query = db.ApiKeys.AsQueryable();
        if (tenantId is not null)
        {
            query = query.Where(k => k.TenantId == tenantId);
        }

        List<ApiKey> matches;
        if (Guid.TryParse(keyIdOrDisplayPrefix, out var id))
        {
            matches = await query.Where(k => k.Id == id).ToListAsync(cancellationToken);
        }
        else
        {
            matches = await query.Where(k => k.DisplayPrefix == keyIdOrDisplayPrefix).Take(2).ToListAsync(cancellationToken);
        }

        var owner = tenantId is null ? "" : $" of tenant '{tenantId}'";
        var key = matches.Count switch
        {
            0 => throw new TenancyException($"no API key{owner} with id or display prefix '{keyIdOrDisplayPrefix}'."),
            > 1 => throw new TenancyException($"display prefix '{keyIdOrDisplayPrefix}' matches several keys; revoke by id (see `maas key list`)."),
            _ => matches[0],
        };

        var wasActive = key.RevokedAt is null;
        if (wasActive)
        {
            key.RevokedAt = _time.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken);
        }

        return new RevokedApiKey(key, wasActive);
    }
}
