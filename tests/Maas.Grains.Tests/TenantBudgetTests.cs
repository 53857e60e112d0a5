using Maas.Grains.Tests.Support;
using Maas.Grains.Abstractions.Tenancy;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;
using Maas.Testing;

namespace Maas.Grains.Tests;

/// <summary>
/// Monthly budgets in the tenant grain on a real silo with real PostgreSQL: worst-case reservation at admission,
/// settlement at release, month-to-date spend loaded once from the rollups, key budgets, unpriced models. Months and
/// lease expiry follow the cluster's fake clock.
/// </summary>
[Collection(SiloClusterCollection.Name)]
public sealed class TenantBudgetTests(SiloClusterFixture fixture)
{
    private const int Prompt = 100;
    private const int MaxTokens = 50;

    /// <summary>100 prompt tokens at 0.27/M and 50 output tokens at 1.10/M.</summary>
    private static readonly decimal WorstCase = UsageCharge.WorstCase(
        new ModelPrice { Model = SiloClusterFixture.ModelX, Currency = TestPrices.Currency, InputCacheMissPerMillion = TestPrices.InputMiss, InputCacheHitPerMillion = TestPrices.InputHit, OutputPerMillion = TestPrices.Output },
        Prompt, MaxTokens);

    [Fact]
    public async Task Fifty_concurrent_admissions_against_a_budget_for_ten_admit_exactly_ten()
    {
        var (tenantId, key) = await CreateTenantAsync(monthlyBudget: WorstCase * 10.5m);
        var tenant = fixture.Client.GetGrain<ITenantGrain>(tenantId);

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => tenant.AdmitAsync(Request($"c-{i}", key))));

        Assert.Equal(10, results.Count(r => r.Allowed));
        Assert.All(results.Where(r => !r.Allowed), r => Assert.Equal(AdmissionError.InsufficientQuota, r.Error));
        var spend = await tenant.GetSpendAsync();
        Assert.Equal(WorstCase * 10, spend.Reserved);
        Assert.True(spend.Spent + spend.Reserved <= spend.MonthlyBudget);

        // Each admitted request used its whole allowance: the budget is spent, nothing more is admitted.
        for (var i = 0; i < 50; i++)
        {
            if (results[i].Allowed)
            {
                await tenant.ReleaseAsync($"c-{i}", new SettledUsage(Prompt, 0, MaxTokens, false));
            }
        }

        spend = await tenant.GetSpendAsync();
        Assert.Equal(WorstCase * 10, spend.Spent);
        Assert.Equal(0m, spend.Reserved);
        Assert.Equal(AdmissionError.InsufficientQuota, (await tenant.AdmitAsync(Request("after", key))).Error);
    }

    [Fact]
    public async Task Settling_at_the_real_cost_frees_what_the_reservation_did_not_use()
    {
        var (tenantId, key) = await CreateTenantAsync(monthlyBudget: WorstCase * 1.5m);
        var tenant = fixture.Client.GetGrain<ITenantGrain>(tenantId);

        Assert.True((await tenant.AdmitAsync(Request("a", key))).Allowed);
        var refused = await tenant.AdmitAsync(Request("b", key));
        Assert.Equal(AdmissionError.InsufficientQuota, refused.Error);
        Assert.Contains("budget", refused.Message, StringComparison.Ordinal);

        // "a" produced 10 tokens of its 50: its cost is far below the reservation.
        await tenant.ReleaseAsync("a", new SettledUsage(Prompt, 0, 10, false));
        var spend = await tenant.GetSpendAsync();
        Assert.Equal(Prompt * TestPrices.InputMiss / 1_000_000 + 10 * TestPrices.Output / 1_000_000, spend.Spent);
        Assert.True((await tenant.AdmitAsync(Request("b", key))).Allowed);
        await tenant.ReleaseAsync("b", SettledUsage.None);
    }

    [Fact]
    public async Task A_key_budget_limits_that_key_only()
    {
        var (tenantId, limitedKey) = await CreateTenantAsync(monthlyBudget: null, keyBudget: WorstCase * 1.5m);
        var otherKey = Guid.NewGuid().ToString("D");
        var tenant = fixture.Client.GetGrain<ITenantGrain>(tenantId);

        Assert.True((await tenant.AdmitAsync(Request("k-1", limitedKey))).Allowed);
        Assert.Equal(AdmissionError.InsufficientQuota, (await tenant.AdmitAsync(Request("k-2", limitedKey))).Error);
        Assert.True((await tenant.AdmitAsync(Request("k-3", otherKey))).Allowed);
        Assert.True((await tenant.AdmitAsync(Request("k-4", otherKey))).Allowed);
        foreach (var id in new[] { "k-1", "k-3", "k-4" })
        {
            await tenant.ReleaseAsync(id, SettledUsage.None);
        }
    }

    [Fact]
    public async Task Month_to_date_spend_is_loaded_from_the_rollups_on_activation()
    {
        var (tenantId, key) = await CreateTenantAsync(monthlyBudget: 1m);
        var now = fixture.Clock.GetUtcNow();
        var month = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        await using (var db = fixture.Database.CreateContext())
        {
            db.UsageHourly.AddRange(
                new UsageHourly { TenantId = tenantId, KeyId = key, Model = SiloClusterFixture.ModelX, Hour = month, Requests = 1, Cost = 0.6m, OutputCost = 0.6m },
                new UsageHourly { TenantId = tenantId, KeyId = "old-key", Model = SiloClusterFixture.ModelX, Hour = month, Requests = 1, Cost = 0.4m - WorstCase / 2, OutputCost = 0.4m - WorstCase / 2 },
                new UsageHourly { TenantId = tenantId, KeyId = key, Model = SiloClusterFixture.ModelX, Hour = month.AddHours(-1), Requests = 9, Cost = 900m, OutputCost = 900m });
            await db.SaveChangesAsync();
        }

        var tenant = fixture.Client.GetGrain<ITenantGrain>(tenantId);
        var spend = await tenant.GetSpendAsync();
        Assert.Equal(month, spend.Month);
        Assert.Equal(1m - WorstCase / 2, spend.Spent);
        Assert.Equal(0.6m, spend.SpentByKey[key]);

        // Half a worst case is left: a request that may cost a whole one does not fit.
        Assert.Equal(AdmissionError.InsufficientQuota, (await tenant.AdmitAsync(Request("mtd", key))).Error);
    }

    [Fact]
    public async Task A_model_without_a_price_is_refused_even_without_a_budget()
    {
        var (tenantId, key) = await CreateTenantAsync(monthlyBudget: null);
        var result = await fixture.Client.GetGrain<ITenantGrain>(tenantId).AdmitAsync(new AdmissionRequest("unpriced", key, "model-without-price", MaxTokens, Prompt));

        Assert.False(result.Allowed);
        Assert.Equal(AdmissionError.ModelNotPriced, result.Error);
        Assert.Contains("no price", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_lease_gives_its_reservation_back()
    {
        var (tenantId, key) = await CreateTenantAsync(monthlyBudget: WorstCase * 1.5m);
        var tenant = fixture.Client.GetGrain<ITenantGrain>(tenantId);
        Assert.True((await tenant.AdmitAsync(Request("dies", key))).Allowed);

        fixture.Clock.Advance(SiloClusterFixture.LeaseDuration + TimeSpan.FromSeconds(1));

        Assert.True((await tenant.AdmitAsync(Request("next", key))).Allowed);
        Assert.Equal(WorstCase, (await tenant.GetSpendAsync()).Reserved);
        await tenant.ReleaseAsync("next", SettledUsage.None);
    }

    private static AdmissionRequest Request(string id, string key) => new(id, key, SiloClusterFixture.ModelX, MaxTokens, Prompt);

    /// <summary>A fresh tenant (so a fresh grain) allowed every model, with one key; budgets as given.</summary>
    private async Task<(string TenantId, string KeyId)> CreateTenantAsync(decimal? monthlyBudget, decimal? keyBudget = null)
    {
        var tenantId = "budget-" + Guid.NewGuid().ToString("N")[..10];
        var keyId = Guid.NewGuid();
        await using var db = fixture.Database.CreateContext();
        db.Tenants.Add(new Tenant { Id = tenantId, Name = tenantId, MaxConcurrentRequests = 100, MonthlyBudget = monthlyBudget });
        db.ApiKeys.Add(new ApiKey { Id = keyId, TenantId = tenantId, DisplayPrefix = "sk-test", SecretHash = Guid.NewGuid().ToString("N"), MonthlyBudget = keyBudget });
        await db.SaveChangesAsync();
        return (tenantId, keyId.ToString("D"));
    }
}
