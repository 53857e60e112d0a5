using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Metering;
using Maas.Infrastructure.Persistence;
using Maas.Testing;

namespace Maas.Infrastructure.Tests.Billing;

public sealed class PriceBookTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Jan = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private PostgresTestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PostgresTestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Prices_are_effective_dated_and_a_fine_tune_falls_back_to_its_base_model()
    {
        await using var db = _database.CreateContext();
        var registry = new PriceBookRegistry(db);
        var first = await registry.SetAsync("m", null, 1m, 0.5m, 2m, "USD", 0.5m, Jan, CancellationToken.None);
        var second = await registry.SetAsync("m", null, 3m, 1m, 4m, "usd", 0.5m, Jan.AddMonths(1), CancellationToken.None);
        var tuned = await registry.SetAsync("m", "ft-1", 5m, 1m, 6m, "USD", 0m, Jan.AddDays(10), CancellationToken.None);

        var book = await registry.LoadAsync(CancellationToken.None);
        Assert.Null(book.Find("m", null, Jan.AddTicks(-1)));
        Assert.Equal(first.Id, book.Find("m", null, Jan)?.Id);
        Assert.Equal(first.Id, book.Find("m", null, Jan.AddMonths(1).AddTicks(-10))?.Id);
        Assert.Equal(second.Id, book.Find("m", null, Jan.AddMonths(1))?.Id);
        Assert.Equal(first.Id, book.Find("m", "ft-1", Jan.AddDays(1))?.Id);
        Assert.Equal(tuned.Id, book.Find("m", "ft-1", Jan.AddDays(10))?.Id);
        Assert.Equal(second.Id, book.Find("m", "ft-other", Jan.AddMonths(2))?.Id);
        Assert.Null(book.Find("other", null, Jan.AddMonths(2)));
        Assert.Equal("USD", book.Currency);
    }

    [Fact]
    public async Task The_price_book_refuses_a_second_currency_negative_prices_and_a_discount_outside_0_to_1()
    {
        await using var db = _database.CreateContext();
        var registry = new PriceBookRegistry(db);
        await registry.SetAsync("m", null, 1m, 1m, 1m, "USD", 0m, Jan, CancellationToken.None);

        Assert.Contains("one currency", (await Assert.ThrowsAsync<BillingException>(() => registry.SetAsync("n", null, 1m, 1m, 1m, "EUR", 0m, Jan, CancellationToken.None))).Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<BillingException>(() => registry.SetAsync("n", null, -1m, 1m, 1m, "USD", 0m, Jan, CancellationToken.None));
        await Assert.ThrowsAsync<BillingException>(() => registry.SetAsync("n", null, 1m, 1m, 1m, "USD", 1.5m, Jan, CancellationToken.None));
        await Assert.ThrowsAsync<BillingException>(() => registry.SetAsync("m", null, 2m, 2m, 2m, "USD", 0m, Jan, CancellationToken.None));
    }

    [Fact]
    public void Charges_are_exact_decimals_per_token_class_and_the_worst_case_bounds_any_real_cost()
    {
        var price = new ModelPrice { Id = 7, Model = "m", Currency = "USD", InputCacheMissPerMillion = 0.27m, InputCacheHitPerMillion = 0.07m, OutputPerMillion = 1.10m, BatchDiscount = 0.5m };

        var charge = UsageCharge.Of(price, promptTokens: 3, cachedPromptTokens: 1, completionTokens: 7, batch: false);
        Assert.Equal(0.00000054m, charge.InputCacheMissCost);
        Assert.Equal(0.00000007m, charge.InputCacheHitCost);
        Assert.Equal(0.0000077m, charge.OutputCost);
        Assert.Equal(0.00000831m, charge.Total);
        Assert.Equal(0.000004155m, UsageCharge.Of(price, 3, 1, 7, batch: true).Total);

        // A million requests of 3 tokens add up to exactly what one request of 3 million tokens costs: no drift.
        Assert.Equal(UsageCharge.Of(price, 3_000_000, 0, 0, false).Total, Enumerable.Repeat(UsageCharge.Of(price, 3, 0, 0, false).Total, 1_000_000).Sum());

        var worst = UsageCharge.WorstCase(price, promptTokens: 100, maxTokens: 50);
        Assert.Equal(100 * 0.27m / 1_000_000 + 50 * 1.10m / 1_000_000, worst);
        Assert.True(UsageCharge.Of(price, 100, 60, 50, false).Total <= worst);
        Assert.True(UsageCharge.Of(price, 100, 0, 49, false).Total < worst);
    }

    [Fact]
    public void A_usage_record_is_priced_by_its_source()
    {
        var price = new ModelPrice { Id = 1, Model = "m", Currency = "USD", InputCacheMissPerMillion = 1m, InputCacheHitPerMillion = 1m, OutputPerMillion = 1m, BatchDiscount = 0.25m };
        var record = new UsageRecord
        {
            RequestId = "r", TenantId = "t", KeyId = "k", Model = "m", Endpoint = "completions", PromptTokens = 1_000_000, CompletionTokens = 0,
            ReceivedAt = Jan, FinishedAt = Jan, FinishReason = UsageFinishReason.Stop, Source = UsageSource.Batch,
        };
        Assert.Equal(0.75m, UsageCharge.Of(price, record).Total);
        Assert.Equal(1m, UsageCharge.Of(price, record with { Source = UsageSource.Plant }).Total);
    }
}
