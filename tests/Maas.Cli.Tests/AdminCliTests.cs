using Maas.Infrastructure.Administration;
using Maas.Infrastructure.Persistence;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;

namespace Maas.Cli.Tests;

/// <summary>`maas admin`, `maas dev seed --admin-user`, `maas tenant set` and `maas invoice generate` for every tenant.</summary>
public sealed class AdminCliTests : IAsyncLifetime
{
    private PostgresTestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PostgresTestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    private Task<CliRun> MaasAsync(params string[] args) =>
        CliRun.InvokeAsync([.. args, "--postgres", _database.ConnectionString, "--redis", TestEnvironment.RedisConfiguration]);

    [Fact]
    public async Task Admin_create_without_a_password_file_prints_a_generated_password_that_signs_in()
    {
        var create = await MaasAsync("admin", "create", "--user", "alice");
        Assert.True(create.ExitCode == 0, create.Error);
        var password = create.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        Assert.Equal(20, password.Length);

        await using var db = _database.CreateContext();
        Assert.Equal(AdminSignInOutcome.SignedIn, (await new PortalAdminRegistry(db).SignInAsync("alice", password, AdminLockoutPolicy.Default, CancellationToken.None)).Outcome);
        Assert.Contains("alice", (await MaasAsync("admin", "list")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admin_create_reads_the_password_from_a_file_and_refuses_a_short_one()
    {
        using var folder = new TemporaryFolder("maas-admin-cli-");
        Directory.CreateDirectory(folder.Path);
        var file = Path.Combine(folder.Path, "pw");
        await File.WriteAllTextAsync(file, "from-a-file-password\n");
        var create = await MaasAsync("admin", "create", "--user", "bob", "--password-file", file);
        Assert.True(create.ExitCode == 0, create.Error);
        Assert.DoesNotContain("from-a-file-password", create.Output, StringComparison.Ordinal);
        await using (var db = _database.CreateContext())
        {
            Assert.Equal(AdminSignInOutcome.SignedIn, (await new PortalAdminRegistry(db).SignInAsync("bob", "from-a-file-password", AdminLockoutPolicy.Default, CancellationToken.None)).Outcome);
        }

        await File.WriteAllTextAsync(file, "short");
        var refused = await MaasAsync("admin", "create", "--user", "carol", "--password-file", file);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("at least 12 characters", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dev_seed_with_an_admin_writes_a_fresh_password_each_run_and_only_the_latest_signs_in()
    {
        using var folder = new TemporaryFolder("maas-admin-cli-");
        var passwordFile = Path.Combine(folder.Path, "admin.password");
        string[] seed = ["dev", "seed", "--model-id", "demo-model", "--model-path", folder.Path, "--admin-user", "admin", "--admin-password-file", passwordFile];
        Assert.Equal(0, (await MaasAsync(seed)).ExitCode);
        var first = (await File.ReadAllTextAsync(passwordFile)).Trim();
        Assert.Equal(0, (await MaasAsync(seed)).ExitCode);
        var second = (await File.ReadAllTextAsync(passwordFile)).Trim();
        Assert.NotEqual(first, second);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(passwordFile));
        }

        await using var db = _database.CreateContext();
        var admins = new PortalAdminRegistry(db);
        Assert.Equal(AdminSignInOutcome.WrongCredentials, (await admins.SignInAsync("admin", first, AdminLockoutPolicy.Default, CancellationToken.None)).Outcome);
        Assert.Equal(AdminSignInOutcome.SignedIn, (await admins.SignInAsync("admin", second, AdminLockoutPolicy.Default, CancellationToken.None)).Outcome);
        Assert.Equal(1, await db.PortalAdmins.CountAsync());
    }

    [Fact]
    public async Task Tenant_set_changes_only_the_given_limits()
    {
        Assert.Equal(0, (await MaasAsync("tenant", "create", "--id", "acme", "--name", "Acme", "--max-concurrent", "4", "--rpm", "120")).ExitCode);
        var set = await MaasAsync("tenant", "set", "--id", "acme", "--rpm", "30", "--disabled", "true");
        Assert.True(set.ExitCode == 0, set.Error);
        await using var db = _database.CreateContext();
        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == "acme");
        Assert.Equal((4, 30, true), (tenant.MaxConcurrentRequests, tenant.RequestsPerMinute, tenant.Disabled));
    }

    [Fact]
    public async Task Invoice_generate_without_a_tenant_invoices_every_tenant()
    {
        await TestPrices.SeedAsync(_database, "model-a");
        Assert.Equal(0, (await MaasAsync("tenant", "create", "--id", "acme", "--name", "Acme")).ExitCode);
        Assert.Equal(0, (await MaasAsync("tenant", "create", "--id", "globex", "--name", "Globex")).ExitCode);
        var generate = await MaasAsync("invoice", "generate", "--month", "2026-10");
        Assert.True(generate.ExitCode == 0, generate.Error);
        Assert.Contains("invoice inv_202610_acme (draft)", generate.Output, StringComparison.Ordinal);
        Assert.Contains("invoice inv_202610_globex (draft)", generate.Output, StringComparison.Ordinal);
    }
}
