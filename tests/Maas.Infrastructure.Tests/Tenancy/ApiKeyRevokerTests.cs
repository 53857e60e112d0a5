using Maas.Infrastructure.Redis;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;

namespace Maas.Infrastructure.Tests.Tenancy;

/// <summary>The one implementation of "revoke a key" (`maas key revoke`, the portal): PostgreSQL first, then the notice on Redis.</summary>
public sealed class ApiKeyRevokerTests : IAsyncLifetime
{
    private readonly string _channel = "maas:revoker-tests:" + Guid.NewGuid().ToString("N")[..8];
    private PostgresTestDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        await using var db = _database.CreateContext();
        await new TenantRegistry(db).CreateAsync("acme", "Acme", null, null, null, CancellationToken.None);
        await new TenantRegistry(db).CreateAsync("other", "Other", null, null, null, CancellationToken.None);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Revoking_sets_revoked_at_and_announces_the_key_id_on_the_channel()
    {
        await using var db = _database.CreateContext();
        var key = (await new ApiKeyRegistry(db).CreateAsync("acme", null, null, CancellationToken.None)).Key;
        await using var listener = await RedisRevocationListener.StartAsync(_channel);
        await using var redis = await RedisConnectionFactory.ConnectAsync(TestEnvironment.RedisConfiguration, 3000, CancellationToken.None);

        var result = await new ApiKeyRevoker(db, new ApiKeyRevocation(_channel)).RevokeAsync(key.Id.ToString("D"), "acme", redis, CancellationToken.None);

        Assert.True(result.Announced);
        Assert.True(result.WasActive);
        Assert.Equal(1, result.Receivers);
        Assert.True(await listener.WaitForAsync(key.Id, TimeSpan.FromSeconds(10)));
        await using var check = _database.CreateContext();
        Assert.NotNull((await check.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == key.Id)).RevokedAt);
    }

    [Fact]
    public async Task Without_redis_the_key_is_still_revoked_and_the_result_says_gateways_were_not_told()
    {
        await using var db = _database.CreateContext();
        var key = (await new ApiKeyRegistry(db).CreateAsync("acme", null, null, CancellationToken.None)).Key;

        var result = await new ApiKeyRevoker(db, new ApiKeyRevocation(_channel)).RevokeAsync(key.DisplayPrefix, null, redis: null, CancellationToken.None);

        Assert.False(result.Announced);
        Assert.NotNull(result.AnnouncementError);
        await using var check = _database.CreateContext();
        Assert.NotNull((await check.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == key.Id)).RevokedAt);
    }

    [Fact]
    public async Task Scoped_to_a_tenant_it_refuses_another_tenants_key_and_a_second_revocation_keeps_the_first_time()
    {
        await using var db = _database.CreateContext();
        var key = (await new ApiKeyRegistry(db).CreateAsync("other", null, null, CancellationToken.None)).Key;
        var revoker = new ApiKeyRevoker(db, new ApiKeyRevocation(_channel));
        await Assert.ThrowsAsync<TenancyException>(() => revoker.RevokeAsync(key.Id.ToString("D"), "acme", null, CancellationToken.None));
        await using (var check = _database.CreateContext())
        {
            Assert.Null((await check.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == key.Id)).RevokedAt);
        }

        var first = await revoker.RevokeAsync(key.Id.ToString("D"), "other", null, CancellationToken.None);
        var second = await revoker.RevokeAsync(key.Id.ToString("D"), "other", null, CancellationToken.None);
        Assert.True(first.WasActive);
        Assert.False(second.WasActive);
        Assert.Equal(first.Key.RevokedAt, second.Key.RevokedAt);
    }
}
