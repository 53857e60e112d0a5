using Maas.Infrastructure.Tenancy;
using Maas.Testing;

namespace Maas.Infrastructure.Tests.Tenancy;

public sealed class TenantRegistryTests : IAsyncLifetime
{
    private PostgresTestDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        await using var db = _database.CreateContext();
        await new TenantRegistry(db).CreateAsync("acme", "Acme", null, null, null, CancellationToken.None);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Tenant_limits_change_only_what_is_given_and_report_before_and_after()
    {
        await using var db = _database.CreateContext();
        var (before, after) = await new TenantRegistry(db).SetLimitsAsync("acme", null, 90, true, CancellationToken.None);
        Assert.Equal(new TenantLimits(16, 600, false), before);
        Assert.Equal(new TenantLimits(16, 90, true), after);
        await Assert.ThrowsAsync<TenancyException>(() => new TenantRegistry(db).SetLimitsAsync("acme", 0, null, null, CancellationToken.None));
        await Assert.ThrowsAsync<TenancyException>(() => new TenantRegistry(db).SetLimitsAsync("nobody", 1, null, null, CancellationToken.None));
    }
}
