using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Maas.Infrastructure.Tests.Billing;

public sealed class BudgetRegistryTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero));
    private PostgresTestDatabase _database = null!;
    private Guid _key;
    private Guid _otherTenantsKey;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        await TestPrices.SeedAsync(_database, "model-a");
        await using var db = _database.CreateContext();
        await new TenantRegistry(db).CreateAsync("acme", "Acme", null, null, null, CancellationToken.None);
        await new TenantRegistry(db).CreateAsync("other", "Other", null, null, null, CancellationToken.None);
        _key = (await new ApiKeyRegistry(db).CreateAsync("acme", "k", null, CancellationToken.None)).Key.Id;
        _otherTenantsKey = (await new ApiKeyRegistry(db).CreateAsync("other", "k", null, CancellationToken.None)).Key.Id;
        db.UsageHourly.AddRange(
            Hourly("acme", _key.ToString("D"), new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero), 1.25m),
            Hourly("acme", "gone-key", new DateTimeOffset(2026, 11, 19, 5, 0, 0, TimeSpan.Zero), 0.50m),
            Hourly("acme", _key.ToString("D"), new DateTimeOffset(2026, 10, 30, 0, 0, 0, TimeSpan.Zero), 9m),
            Hourly("other", _otherTenantsKey.ToString("D"), new DateTimeOffset(2026, 11, 3, 0, 0, 0, TimeSpan.Zero), 7m));
        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Setting_a_tenant_or_key_budget_returns_it_before_and_after_and_null_clears_it()
    {
        await using var db = _database.CreateContext();
        var budgets = new BudgetRegistry(db, _time);
        Assert.Equal(new BudgetChange("acme", null, null, 250m), await budgets.SetAsync("acme", null, 250m, CancellationToken.None));
        Assert.Equal(new BudgetChange("acme", null, 250m, null), await budgets.SetAsync("acme", null, null, CancellationToken.None));
        Assert.Equal(new BudgetChange("acme", _key, null, 10m), await budgets.SetAsync("acme", _key, 10m, CancellationToken.None));
        await using var check = _database.CreateContext();
        Assert.Null((await check.Tenants.AsNoTracking().SingleAsync(t => t.Id == "acme")).MonthlyBudget);
        Assert.Equal(10m, (await check.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == _key)).MonthlyBudget);
    }

    [Fact]
    public async Task Negative_budgets_unknown_tenants_and_another_tenants_key_are_refused()
    {
        await using var db = _database.CreateContext();
        var budgets = new BudgetRegistry(db, _time);
        await Assert.ThrowsAsync<BillingException>(() => budgets.SetAsync("acme", null, -1m, CancellationToken.None));
        await Assert.ThrowsAsync<BillingException>(() => budgets.SetAsync("nobody", null, 1m, CancellationToken.None));
        await Assert.ThrowsAsync<BillingException>(() => budgets.SetAsync("acme", _otherTenantsKey, 1m, CancellationToken.None));
        await using var check = _database.CreateContext();
        Assert.Null((await check.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == _otherTenantsKey)).MonthlyBudget);
    }

    [Fact]
    public async Task Show_has_this_months_spend_of_the_tenant_and_each_key()
    {
        await using var db = _database.CreateContext();
        await new BudgetRegistry(db, _time).SetAsync("acme", null, 5m, CancellationToken.None);
        var shown = await new BudgetRegistry(db, _time).ShowAsync("acme", CancellationToken.None);
        Assert.Equal((5m, 1.75m, "USD"), (shown.MonthlyBudget, shown.SpentThisMonth, shown.Currency));
        Assert.Equal(1.25m, Assert.Single(shown.Keys).SpentThisMonth);
    }

    [Fact]
    public async Task Month_to_date_totals_cover_every_tenant_with_usage()
    {
        await using var db = _database.CreateContext();
        var totals = await UsageReport.TotalsByTenantAsync(db, UsageReport.MonthStart(_time.GetUtcNow()), CancellationToken.None);
        Assert.Equal((1.75m, 2L), (totals["acme"].Cost, totals["acme"].Requests));
        Assert.Equal(7m, totals["other"].Cost);
        Assert.Equal(2, totals.Count);
    }

    private static UsageHourly Hourly(string tenant, string key, DateTimeOffset hour, decimal cost) => new()
    {
        TenantId = tenant,
        KeyId = key,
        Model = "model-a",
        Hour = hour,
        Requests = 1,
        PromptTokens = 10,
        CompletionTokens = 10,
        InputCacheMissCost = cost,
        Cost = cost,
    };
}
