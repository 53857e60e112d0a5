using Maas.Infrastructure.Persistence;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;

namespace Maas.Cli.Tests;

public sealed class CliTests : IAsyncLifetime
{
    private PostgresTestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PostgresTestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    private Task<CliRun> MaasAsync(params string[] args) =>
        CliRun.InvokeAsync([.. args, "--postgres", _database.ConnectionString, "--redis", TestEnvironment.RedisConfiguration]);

    [Fact]
    public async Task Db_migrate_creates_the_schema_on_an_empty_database_and_is_idempotent()
    {
        await using var empty = await PostgresTestDatabase.CreateEmptyAsync();

        var first = await CliRun.InvokeAsync("db", "migrate", "--postgres", empty.ConnectionString);
        Assert.Equal(0, first.ExitCode);
        Assert.Contains("applied 20261124010146_InitialCreate", first.Output, StringComparison.Ordinal);
        var second = await CliRun.InvokeAsync("db", "migrate", "--postgres", empty.ConnectionString);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("up to date", second.Output, StringComparison.Ordinal);

        await using var db = MaasDbContext.Create(empty.ConnectionString);
        Assert.Equal(0, await db.Tenants.CountAsync());
    }

    [Fact]
    public async Task Tenant_create_stores_the_tenant_and_tenant_list_shows_it()
    {
        var create = await MaasAsync("tenant", "create", "--id", "acme", "--name", "Acme Plant 3", "--allowed-models", "a, b", "--max-concurrent", "4", "--rpm", "120");
        Assert.True(create.ExitCode == 0, create.Error);

        await using (var db = _database.CreateContext())
        {
            var tenant = await db.Tenants.SingleAsync(t => t.Id == "acme");
            Assert.Equal("Acme Plant 3", tenant.Name);
            Assert.Equal(["a", "b"], tenant.AllowedModels);
            Assert.Equal(4, tenant.MaxConcurrentRequests);
            Assert.Equal(120, tenant.RequestsPerMinute);
        }

        var list = await MaasAsync("tenant", "list");
        Assert.Equal(0, list.ExitCode);
        var row = Assert.Single(list.Output.Split('\n'), l => l.StartsWith("acme ", StringComparison.Ordinal));
        Assert.Contains("Acme Plant 3", row, StringComparison.Ordinal);
        Assert.Contains("a,b", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tenant_create_twice_fails_on_stderr_with_a_non_zero_exit_code()
    {
        Assert.Equal(0, (await MaasAsync("tenant", "create", "--id", "acme", "--name", "Acme")).ExitCode);
        var again = await MaasAsync("tenant", "create", "--id", "acme", "--name", "Acme");
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("already exists", again.Error, StringComparison.Ordinal);
        Assert.Equal("", again.Output);
    }

    [Fact]
    public async Task Key_create_prints_a_working_secret_once_and_key_list_never_shows_it()
    {
        await MaasAsync("tenant", "create", "--id", "acme", "--name", "Acme");
        var create = await MaasAsync("key", "create", "--tenant", "acme", "--name", "line-3", "--rpm", "30");
        Assert.True(create.ExitCode == 0, create.Error);
        var secret = Assert.Single(create.Output.Split('\n'), l => l.StartsWith(ApiKeySecret.Prefix, StringComparison.Ordinal)).Trim();

        await using (var db = _database.CreateContext())
        {
            var key = await new ApiKeyRegistry(db).FindBySecretAsync(secret, CancellationToken.None);
            Assert.NotNull(key);
            Assert.Equal("acme", key.TenantId);
            Assert.Equal(30, key.RequestsPerMinute);
        }

        var list = await MaasAsync("key", "list", "--tenant", "acme");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains(ApiKeySecret.DisplayPrefix(secret), list.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, list.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_revoke_by_display_prefix_sets_revoked_at_and_publishes_the_key_id()
    {
        await MaasAsync("tenant", "create", "--id", "acme", "--name", "Acme");
        await MaasAsync("key", "create", "--tenant", "acme");
        Guid keyId;
        string prefix;
        await using (var db = _database.CreateContext())
        {
            var key = await db.ApiKeys.SingleAsync();
            (keyId, prefix) = (key.Id, key.DisplayPrefix);
        }

        await using var listener = await RedisRevocationListener.StartAsync();
        var revoke = await MaasAsync("key", "revoke", prefix);
        Assert.True(revoke.ExitCode == 0, revoke.Error);
        Assert.True(await listener.WaitForAsync(keyId, TimeSpan.FromSeconds(10)), "revocation message not received");

        await using (var db = _database.CreateContext())
        {
            Assert.NotNull((await db.ApiKeys.SingleAsync()).RevokedAt);
        }
    }

    [Fact]
    public async Task Key_revoke_with_redis_down_still_revokes_but_exits_non_zero_with_an_explanation()
    {
        await MaasAsync("tenant", "create", "--id", "acme", "--name", "Acme");
        await MaasAsync("key", "create", "--tenant", "acme");
        Guid keyId;
        await using (var db = _database.CreateContext())
        {
            keyId = (await db.ApiKeys.SingleAsync()).Id;
        }

        var revoke = await CliRun.InvokeAsync("key", "revoke", keyId.ToString(), "--postgres", _database.ConnectionString, "--redis", "127.0.0.1:1");
        Assert.NotEqual(0, revoke.ExitCode);
        Assert.Contains("revoked in the database", revoke.Error, StringComparison.Ordinal);

        await using (var db = _database.CreateContext())
        {
            Assert.NotNull((await db.ApiKeys.SingleAsync()).RevokedAt);
        }
    }

    [Fact]
    public async Task Model_add_then_list_shows_the_model_with_an_absolute_path()
    {
        var folder = Directory.CreateTempSubdirectory("maas-model-").FullName;
        try
        {
            var add = await MaasAsync("model", "add", "--id", "deepseek-demo", "--path", folder);
            Assert.True(add.ExitCode == 0, add.Error);
            var list = await MaasAsync("model", "list");
            var row = Assert.Single(list.Output.Split('\n'), l => l.StartsWith("deepseek-demo ", StringComparison.Ordinal));
            Assert.Contains(folder, row, StringComparison.Ordinal);
            Assert.NotEqual(0, (await MaasAsync("model", "add", "--id", "deepseek-demo", "--path", folder)).ExitCode);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Dev_seed_is_idempotent_and_writes_a_fresh_working_key_to_a_private_file()
    {
        var folder = Directory.CreateTempSubdirectory("maas-seed-").FullName;
        var keyFile = Path.Combine(folder, "keys", "demo.key");
        try
        {
            var first = await MaasAsync("dev", "seed", "--tenant", "demo", "--model-id", "deepseek-demo", "--model-path", folder, "--key-file", keyFile);
            Assert.True(first.ExitCode == 0, first.Error);
            var second = await MaasAsync("dev", "seed", "--tenant", "demo", "--model-id", "deepseek-demo", "--model-path", folder, "--key-file", keyFile);
            Assert.True(second.ExitCode == 0, second.Error);

            var secret = (await File.ReadAllTextAsync(keyFile)).Trim();
            Assert.Contains(secret, second.Output, StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            }

            await using var db = _database.CreateContext();
            Assert.Equal(1, await db.Tenants.CountAsync(t => t.Id == "demo"));
            Assert.Equal(folder, (await db.Models.SingleAsync(m => m.Id == "deepseek-demo")).Path);
            Assert.Equal(2, await db.ApiKeys.CountAsync(k => k.TenantId == "demo"));
            Assert.Equal("demo", (await new ApiKeyRegistry(db).FindBySecretAsync(secret, CancellationToken.None))?.TenantId);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task An_unreachable_database_is_one_error_line_and_exit_code_1()
    {
        var run = await CliRun.InvokeAsync("tenant", "list", "--postgres", "Host=127.0.0.1;Port=1;Username=maas;Password=maas;Database=maas;Timeout=2");
        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: ", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
    }
}
