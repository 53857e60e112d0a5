using Maas.Infrastructure.Metering;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;

namespace Maas.Infrastructure.Tests.Metering;

/// <summary>The PostgreSQL usage sink against the real database: group commit, prices, rollups, idempotency.</summary>
public sealed class UsageSinkTests : IAsyncLifetime
{
    private readonly string _spill = Path.Combine(Path.GetTempPath(), "maas-spill-" + Guid.NewGuid().ToString("N")[..8]);
    private PostgresTestDatabase _database = null!;
    private MeteringHost _host = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        await TestPrices.SeedAsync(_database, "model-a", "model-b");
        _host = await MeteringHost.StartAsync(_database.ConnectionString, _spill);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _database.DisposeAsync();
        Directory.Delete(_spill, recursive: true);
    }

    [Fact]
    public async Task A_record_is_stored_with_every_field_and_its_exact_cost_per_token_class()
    {
        var record = UsageRecords.Of("req-fields", prompt: 100, cached: 40, completion: 10, finish: UsageFinishReason.Length) with { FineTuneVersion = null };
        await _host.Sink.RecordAsync(record, CancellationToken.None);

        await using var db = _database.CreateContext();
        var row = await db.UsageEvents.SingleAsync(e => e.RequestId == "req-fields");
        Assert.Equal(record.TenantId, row.TenantId);
        Assert.Equal(record.KeyId, row.KeyId);
        Assert.Equal(record.Model, row.Model);
        Assert.Equal(record.WeightsDigest, row.WeightsDigest);
        Assert.Equal("api", row.Source);
        Assert.Equal("chat.completions", row.Endpoint);
        Assert.Equal((100, 40, 10), (row.PromptTokens, row.CachedPromptTokens, row.CompletionTokens));
        Assert.Equal(record.ReceivedAt, row.ReceivedAt);
        Assert.Equal(record.FirstTokenAt, row.FirstTokenAt);
        Assert.Equal(record.FinishedAt, row.FinishedAt);
        Assert.Equal("length", row.FinishReason);
        Assert.Equal("USD", row.Currency);
        Assert.NotNull(row.PriceId);

        // 60 cache-miss tokens at 0.27/M, 40 cache-hit at 0.07/M, 10 output at 1.10/M: exact decimals, no float rounding.
        Assert.Equal(0.0000162m, row.InputCacheMissCost);
        Assert.Equal(0.0000028m, row.InputCacheHitCost);
        Assert.Equal(0.000011m, row.OutputCost);
        Assert.Equal(0.00003m, row.Cost);
    }

    [Fact]
    public async Task Batch_usage_is_billed_at_the_batch_discount()
    {
        await _host.Sink.RecordAsync(UsageRecords.Of("req-batch", prompt: 1_000_000, completion: 1_000_000, source: UsageSource.Batch), CancellationToken.None);

        await using var db = _database.CreateContext();
        var row = await db.UsageEvents.SingleAsync(e => e.RequestId == "req-batch");
        Assert.Equal("batch", row.Source);
        Assert.Equal((0.27m + 1.10m) * 0.5m, row.Cost);
    }

    [Fact]
    public async Task A_record_submitted_twice_counts_once_in_the_events_and_the_rollups()
    {
        var record = UsageRecords.Of("req-twice", tenant: "tenant-twice", prompt: 7, completion: 3);
        await _host.Sink.RecordAsync(record, CancellationToken.None);
        await _host.Sink.RecordAsync(record, CancellationToken.None);

        // And twice at the same moment, so both copies can land in one group commit.
        var again = UsageRecords.Of("req-twice-2", tenant: "tenant-twice", prompt: 7, completion: 3);
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => _host.Sink.RecordAsync(again, CancellationToken.None).AsTask()));

        await using var db = _database.CreateContext();
        Assert.Equal(1, await db.UsageEvents.CountAsync(e => e.RequestId == "req-twice"));
        Assert.Equal(1, await db.UsageEvents.CountAsync(e => e.RequestId == "req-twice-2"));
        var rollup = await db.UsageHourly.Where(u => u.TenantId == "tenant-twice").ToListAsync();
        Assert.Equal(2, rollup.Sum(u => u.Requests));
        Assert.Equal(14, rollup.Sum(u => u.PromptTokens));
        Assert.Equal(6, rollup.Sum(u => u.CompletionTokens));
    }

    [Fact]
    public async Task Concurrent_records_all_land_exactly_once_and_the_hourly_rollups_equal_the_events()
    {
        const int producers = 40;
        const int perProducer = 50;
        await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < perProducer; i++)
            {
                var model = i % 2 == 0 ? "model-a" : "model-b";
                await _host.Sink.RecordAsync(UsageRecords.Of($"req-c-{p}-{i}", tenant: "tenant-c", key: $"key-{p % 3}", model: model, prompt: 10 + i, cached: i % 5, completion: i), CancellationToken.None);
            }
        })));

        await using var db = _database.CreateContext();
        var events = await db.UsageEvents.Where(e => e.TenantId == "tenant-c").ToListAsync();
        Assert.Equal(producers * perProducer, events.Count);
        Assert.Equal(events.Count, events.Select(e => e.RequestId).Distinct().Count());

        var rollups = await db.UsageHourly.Where(u => u.TenantId == "tenant-c").ToListAsync();
        Assert.Equal(events.Count, rollups.Sum(u => u.Requests));
        Assert.Equal(events.Sum(e => (long)e.PromptTokens), rollups.Sum(u => u.PromptTokens));
        Assert.Equal(events.Sum(e => (long)e.CachedPromptTokens), rollups.Sum(u => u.CachedPromptTokens));
        Assert.Equal(events.Sum(e => (long)e.CompletionTokens), rollups.Sum(u => u.CompletionTokens));
        Assert.Equal(events.Sum(e => e.Cost!.Value), rollups.Sum(u => u.Cost));
        foreach (var group in events.GroupBy(e => (e.KeyId, e.Model)))
        {
            var rolled = rollups.Where(u => u.KeyId == group.Key.KeyId && u.Model == group.Key.Model).ToList();
            Assert.Equal(group.Count(), rolled.Sum(u => u.Requests));
            Assert.Equal(group.Sum(e => e.Cost!.Value), rolled.Sum(u => u.Cost));
        }
    }

    [Fact]
    public async Task A_model_without_a_price_is_stored_with_no_cost_and_counted_as_unpriced_never_as_zero()
    {
        await _host.Sink.RecordAsync(UsageRecords.Of("req-unpriced", tenant: "tenant-u", model: "model-without-price"), CancellationToken.None);

        await using var db = _database.CreateContext();
        var row = await db.UsageEvents.SingleAsync(e => e.RequestId == "req-unpriced");
        Assert.Null(row.Cost);
        Assert.Null(row.PriceId);
        var rollup = await db.UsageHourly.SingleAsync(u => u.TenantId == "tenant-u");
        Assert.Equal(1, rollup.UnpricedRequests);
        Assert.Equal(0m, rollup.Cost);
    }

    [Fact]
    public async Task Rollups_are_per_UTC_hour()
    {
        var hour = new DateTimeOffset(DateTimeOffset.UtcNow.Year, DateTimeOffset.UtcNow.Month, 1, 5, 0, 0, TimeSpan.Zero);
        await _host.Sink.RecordAsync(UsageRecords.Of("req-h1", tenant: "tenant-h", receivedAt: hour.AddMinutes(1)), CancellationToken.None);
        await _host.Sink.RecordAsync(UsageRecords.Of("req-h2", tenant: "tenant-h", receivedAt: hour.AddMinutes(59)), CancellationToken.None);
        await _host.Sink.RecordAsync(UsageRecords.Of("req-h3", tenant: "tenant-h", receivedAt: hour.AddMinutes(61)), CancellationToken.None);

        await using var db = _database.CreateContext();
        var rollups = await db.UsageHourly.Where(u => u.TenantId == "tenant-h").OrderBy(u => u.Hour).ToListAsync();
        Assert.Equal([hour, hour.AddHours(1)], rollups.Select(u => u.Hour));
        Assert.Equal([2L, 1L], rollups.Select(u => u.Requests));
    }
}
