using Maas.Infrastructure.Persistence;
using Maas.Infrastructure.Redis;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Maas.Infrastructure.Tests.Tenancy;

public sealed class ApiKeyRegistryTests : IAsyncLifetime
{
    private PostgresTestDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        await using var db = _database.CreateContext();
        await new TenantRegistry(db).CreateAsync("acme", "Acme Plant 3", ["deepseek-demo"], 4, 120, CancellationToken.None);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Creating_a_key_stores_only_the_hash_and_display_prefix_never_the_secret()
    {
        await using var db = _database.CreateContext();
        var issued = await new ApiKeyRegistry(db).CreateAsync("acme", "line-3", 30, CancellationToken.None);

        Assert.StartsWith(ApiKeySecret.Prefix, issued.Secret);
        var row = await RowAsJsonAsync(issued.Key.Id);
        Assert.DoesNotContain(issued.Secret, row, StringComparison.Ordinal);
        // The part after the display prefix must not appear in any column in any form we could write.
        Assert.DoesNotContain(issued.Secret[ApiKeySecret.DisplayLength..], row, StringComparison.Ordinal);
        Assert.Contains(ApiKeySecret.Hash(issued.Secret), row, StringComparison.Ordinal);
        Assert.Contains($"\"display_prefix\":\"{issued.Secret[..ApiKeySecret.DisplayLength]}\"", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hash_lookup_finds_the_key_and_a_wrong_secret_finds_nothing()
    {
        await using var db = _database.CreateContext();
        var registry = new ApiKeyRegistry(db);
        var issued = await registry.CreateAsync("acme", null, null, CancellationToken.None);

        var found = await registry.FindBySecretAsync(issued.Secret, CancellationToken.None);
        Assert.NotNull(found);
        Assert.Equal(issued.Key.Id, found.Id);
        Assert.Equal("acme", found.Tenant?.Id);
        Assert.Null(await registry.FindBySecretAsync(issued.Secret[..^1] + (issued.Secret[^1] == 'a' ? 'b' : 'a'), CancellationToken.None));
    }

    [Fact]
    public async Task Creating_a_key_for_an_unknown_tenant_is_refused()
    {
        await using var db = _database.CreateContext();
        var error = await Assert.ThrowsAsync<TenancyException>(() => new ApiKeyRegistry(db).CreateAsync("nobody", null, null, CancellationToken.None));
        Assert.Contains("nobody", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await db.ApiKeys.CountAsync());
    }

    [Fact]
    public async Task Revocation_sets_revoked_at_and_publishes_the_key_id_on_the_redis_channel()
    {
        await using var listener = await RedisRevocationListener.StartAsync();
        await using var db = _database.CreateContext();
        var registry = new ApiKeyRegistry(db);
        var issued = await registry.CreateAsync("acme", null, null, CancellationToken.None);

        var revoked = await registry.RevokeAsync(issued.Key.Id.ToString(), CancellationToken.None);
        await using var redis = await RedisConnectionFactory.ConnectAsync(TestEnvironment.RedisConfiguration, 3000, CancellationToken.None);
        var receivers = await new ApiKeyRevocation(ApiKeyRevocationOptions.DefaultChannel).PublishAsync(redis, revoked.Id, CancellationToken.None);

        Assert.True(receivers >= 1);
        Assert.True(await listener.WaitForAsync(issued.Key.Id, TimeSpan.FromSeconds(10)), "revocation message not received");
        await using var fresh = _database.CreateContext();
        var stored = await fresh.ApiKeys.SingleAsync(k => k.Id == issued.Key.Id);
        Assert.NotNull(stored.RevokedAt);
    }

    [Fact]
    public async Task Revoking_by_display_prefix_finds_the_key_and_an_ambiguous_prefix_is_refused()
    {
        await using var db = _database.CreateContext();
        var registry = new ApiKeyRegistry(db);
        var first = await registry.CreateAsync("acme", null, null, CancellationToken.None);
        Assert.Equal(first.Key.Id, (await registry.RevokeAsync(first.Key.DisplayPrefix, CancellationToken.None)).Id);

        db.ApiKeys.Add(new ApiKey
        {
            Id = Guid.NewGuid(),
            TenantId = "acme",
            DisplayPrefix = first.Key.DisplayPrefix,
            SecretHash = new string('0', 64),
            CreatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
        await Assert.ThrowsAsync<TenancyException>(() => registry.RevokeAsync(first.Key.DisplayPrefix, CancellationToken.None));
    }

    private async Task<string> RowAsJsonAsync(Guid id)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT row_to_json(k)::text FROM api_keys k WHERE k.id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
