using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;

namespace Maas.Cli.Tests;

/// <summary>`maas price|budget|usage|invoice` and the price column of `maas model list`, in-process on a fresh database.</summary>
public sealed class BillingCliTests : IAsyncLifetime
{
    private PostgresTestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PostgresTestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    private Task<CliRun> MaasAsync(params string[] args) =>
        CliRun.InvokeAsync([.. args, "--postgres", _database.ConnectionString, "--redis", TestEnvironment.RedisConfiguration]);

    [Fact]
    public async Task Price_set_adds_effective_dated_rows_and_price_list_marks_the_one_in_effect()
    {
        var first = await MaasAsync("price", "set", "--model", "m1", "--input-miss", "0.27", "--input-hit", "0.07", "--output", "1.10", "--from", "2026-01-01");
        Assert.True(first.ExitCode == 0, first.Error);
        var second = await MaasAsync("price", "set", "--model", "m1", "--input-miss", "0.30", "--input-hit", "0.08", "--output", "1.20", "--batch-discount", "0.5");
        Assert.True(second.ExitCode == 0, second.Error);

        var list = await MaasAsync("price", "list");
        Assert.Equal(0, list.ExitCode);
        var rows = list.Output.Split('\n').Where(l => l.Contains(" m1 ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, rows.Count);
        Assert.EndsWith("no", rows[0].TrimEnd(), StringComparison.Ordinal);
        Assert.EndsWith("yes", rows[1].TrimEnd(), StringComparison.Ordinal);
        Assert.Contains("0.30", rows[1], StringComparison.Ordinal);

        await using var db = _database.CreateContext();
        Assert.Equal([0.27m, 0.30m], await db.Prices.OrderBy(p => p.EffectiveFrom).Select(p => p.InputCacheMissPerMillion).ToListAsync());
    }

    [Fact]
    public async Task Price_set_refuses_bad_amounts_and_a_second_currency_with_a_message()
    {
        var bad = await MaasAsync("price", "set", "--model", "m1", "--input-miss", "cheap", "--input-hit", "0", "--output", "1");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("not a decimal amount", bad.Error, StringComparison.Ordinal);

        Assert.Equal(0, (await MaasAsync("price", "set", "--model", "m1", "--input-miss", "1", "--input-hit", "1", "--output", "1")).ExitCode);
        var euro = await MaasAsync("price", "set", "--model", "m2", "--input-miss", "1", "--input-hit", "1", "--output", "1", "--currency", "EUR");
        Assert.Equal(1, euro.ExitCode);
        Assert.Contains("one currency", euro.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Model_list_shows_a_missing_price_as_an_error_until_one_is_set()
    {
        Assert.Equal(0, (await MaasAsync("model", "add", "--id", "m-priced", "--path", "/tmp/x")).ExitCode);
        Assert.Equal(0, (await MaasAsync("model", "add", "--id", "m-unpriced", "--path", "/tmp/y")).ExitCode);
        Assert.Equal(0, (await MaasAsync("price", "set", "--model", "m-priced", "--input-miss", "0.27", "--input-hit", "0.07", "--output", "1.10")).ExitCode);

        var list = await MaasAsync("model", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("0.27/0.07/1.10 USD", Assert.Single(list.Output.Split('\n'), l => l.StartsWith("m-priced ", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("MISSING", Assert.Single(list.Output.Split('\n'), l => l.StartsWith("m-unpriced ", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("no price in effect for m-unpriced", list.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoice_generate_show_list_and_export_work_on_the_rollups_and_generate_is_idempotent()
    {
        await SeedUsageAsync();
        var generate = await MaasAsync("invoice", "generate", "--tenant", "acme", "--month", "2026-10");
        Assert.True(generate.ExitCode == 0, generate.Error);
        Assert.Contains("invoice inv_202610_acme (draft): 2 lines, total 1.37 USD", generate.Output, StringComparison.Ordinal);
        Assert.Equal(generate.Output, (await MaasAsync("invoice", "generate", "--tenant", "acme", "--month", "2026-10")).Output);

        var final = await MaasAsync("invoice", "generate", "--tenant", "acme", "--month", "2026-10", "--finalize");
        Assert.Contains("(finalized)", final.Output, StringComparison.Ordinal);

        var show = await MaasAsync("invoice", "show", "inv_202610_acme");
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("input_cache_miss", show.Output, StringComparison.Ordinal);
        Assert.Contains("total 1.37 USD", show.Output, StringComparison.Ordinal);

        Assert.Contains("inv_202610_acme", (await MaasAsync("invoice", "list", "--tenant", "acme")).Output, StringComparison.Ordinal);

        var file = Path.Combine(Path.GetTempPath(), "maas-invoice-" + Guid.NewGuid().ToString("N")[..8] + ".csv");
        try
        {
            Assert.Equal(0, (await MaasAsync("invoice", "export", "inv_202610_acme", "--out", file)).ExitCode);
            var csv = await File.ReadAllLinesAsync(file);
            Assert.Equal(InvoiceCsv.Header, csv[0]);
            Assert.Equal(4, csv.Length);
            Assert.EndsWith(",total,,,1.37", csv[^1], StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }

        Assert.Equal(1, (await MaasAsync("invoice", "show", "inv_000000_nobody")).ExitCode);
    }

    [Fact]
    public async Task Usage_prints_the_tenants_usage_grouped_as_asked()
    {
        await SeedUsageAsync();
        var usage = await MaasAsync("usage", "--tenant", "acme", "--from", "2026-10-01", "--to", "2026-11-01", "--group-by", "model,key");
        Assert.True(usage.ExitCode == 0, usage.Error);
        Assert.Contains("model-a", usage.Output, StringComparison.Ordinal);
        Assert.Contains("total 4 requests, 1.37054 USD", usage.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Budget_set_and_show_for_a_tenant_and_a_key()
    {
        await SeedUsageAsync();
        Assert.Equal(0, (await MaasAsync("budget", "set", "--tenant", "acme", "--monthly", "250")).ExitCode);
        Guid keyId;
        await using (var db = _database.CreateContext())
        {
            keyId = (await new ApiKeyRegistry(db).CreateAsync("acme", "line 3", null, CancellationToken.None)).Key.Id;
        }

        Assert.Equal(0, (await MaasAsync("budget", "set", "--tenant", "acme", "--key", keyId.ToString("D"), "--monthly", "12.5")).ExitCode);
        Assert.Equal(1, (await MaasAsync("budget", "set", "--tenant", "acme", "--key", Guid.NewGuid().ToString("D"), "--monthly", "1")).ExitCode);
        var show = await MaasAsync("budget", "show", "--tenant", "acme");
        Assert.Contains("250.00", show.Output, StringComparison.Ordinal);
        Assert.Contains("12.50", show.Output, StringComparison.Ordinal);

        Assert.Equal(0, (await MaasAsync("budget", "set", "--tenant", "acme", "--monthly", "none")).ExitCode);
        await using var check = _database.CreateContext();
        Assert.Null((await check.Tenants.SingleAsync(t => t.Id == "acme")).MonthlyBudget);
        Assert.Equal(12.5m, (await check.ApiKeys.SingleAsync(k => k.Id == keyId)).MonthlyBudget);
    }

    [Fact]
    public async Task Dev_seed_prices_the_demo_model_once()
    {
        var folder = Path.GetTempPath();
        Assert.Equal(0, (await MaasAsync("dev", "seed", "--model-id", "demo-model", "--model-path", folder)).ExitCode);
        Assert.Equal(0, (await MaasAsync("dev", "seed", "--model-id", "demo-model", "--model-path", folder)).ExitCode);
        await using var db = _database.CreateContext();
        var price = await db.Prices.SingleAsync(p => p.Model == "demo-model");
        Assert.Equal((0.27m, 0.07m, 1.10m, "USD"), (price.InputCacheMissPerMillion, price.InputCacheHitPerMillion, price.OutputPerMillion, price.Currency));
    }

    private async Task SeedUsageAsync()
    {
        await using var db = _database.CreateContext();
        await new TenantRegistry(db).CreateAsync("acme", "Acme", null, null, null, CancellationToken.None);
        await new PriceBookRegistry(db).SetAsync("model-a", null, 0.27m, 0.07m, 1.10m, "USD", 0m, DateTimeOffset.UnixEpoch, CancellationToken.None);
        var october = new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
        db.UsageHourly.AddRange(
            new UsageHourly { TenantId = "acme", KeyId = "k1", Model = "model-a", Hour = october.AddHours(3), Requests = 3, PromptTokens = 2000, CompletionTokens = 500, InputCacheMissCost = 0.00054m, OutputCost = 0.0005m, Cost = 0.00104m },
            new UsageHourly { TenantId = "acme", KeyId = "k2", Model = "model-a", Hour = october.AddDays(9), Requests = 1, PromptTokens = 1_000_000, CompletionTokens = 1_000_000, InputCacheMissCost = 0.27m, OutputCost = 1.0995m, Cost = 1.3695m });
        await db.SaveChangesAsync();
    }
}
