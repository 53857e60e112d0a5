using Maas.Infrastructure.Persistence;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;

namespace Maas.Gateway.Tests.Support;

/// <summary>Inserts tenants and keys the way the platform stores them (hash and display prefix only).</summary>
public static class TestTenants
{
    public static async Task<string> CreateTenantAsync(PostgresTestDatabase database, int requestsPerMinute = 10_000, bool disabled = false)
    {
        var id = "t-" + Guid.NewGuid().ToString("N")[..12];
        await using var db = database.CreateContext();
        db.Tenants.Add(new Tenant
        {
            Id = id,
            Name = "Test " + id,
            RequestsPerMinute = requestsPerMinute,
            Disabled = disabled,
            CreatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
        return id;
    }

    public static async Task<TestKey> CreateKeyAsync(PostgresTestDatabase database, string tenantId, int? requestsPerMinute = null)
    {
        var secret = ApiKeySecret.Create();
        var key = new ApiKey
        {
            Id = Guid.NewGuid(),
            TenantId = tenantId,
            Name = "test",
            DisplayPrefix = ApiKeySecret.DisplayPrefix(secret),
            SecretHash = ApiKeySecret.Hash(secret),
            RequestsPerMinute = requestsPerMinute,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        await using var db = database.CreateContext();
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync();
        return new TestKey(key.Id, tenantId, secret);
    }

    public static async Task<TestKey> CreateTenantWithKeyAsync(PostgresTestDatabase database, int tenantRequestsPerMinute = 10_000, int? keyRequestsPerMinute = null)
    {
        var tenant = await CreateTenantAsync(database, tenantRequestsPerMinute);
        return await CreateKeyAsync(database, tenant, keyRequestsPerMinute);
    }
}
