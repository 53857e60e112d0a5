using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;
using Maas.Testing;

namespace Maas.Infrastructure.Tests.Billing;

public sealed class UsageReportTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Day = new(2026, 10, 7, 0, 0, 0, TimeSpan.Zero);
    private PostgresTestDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        await using var db = _database.CreateContext();
        db.UsageHourly.AddRange(
            Row("acme", "k1", "model-a", Day.AddHours(1), 2, 0.5m),
            Row("acme", "k2", "model-a", Day.AddHours(5), 1, 0.25m),
            Row("acme", "k1", "model-b", Day.AddDays(1).AddHours(3), 4, 1m),
            Row("other", "k9", "model-a", Day.AddHours(1), 100, 100m));
        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Without_grouping_one_bucket_sums_the_tenants_usage_and_only_its_own()
    {
        await using var db = _database.CreateContext();
        var rows = await UsageReport.QueryAsync(db, "acme", Day, Day.AddDays(2), UsageGrouping.None, CancellationToken.None);
        var only = Assert.Single(rows);
        Assert.Equal((Day, Day.AddDays(2), 7L, 1.75m), (only.Start, only.End, only.Requests, only.Cost));
        Assert.Null(only.Model);
        Assert.Null(only.KeyId);
    }

    [Fact]
    public async Task Grouping_by_day_model_and_key_splits_the_buckets()
    {
        await using var db = _database.CreateContext();
        var byDayModel = await UsageReport.QueryAsync(db, "acme", Day, Day.AddDays(2), UsageGrouping.Day | UsageGrouping.Model, CancellationToken.None);
        Assert.Equal([(Day, "model-a", 3L), (Day.AddDays(1), "model-b", 4L)], byDayModel.Select(r => (r.Start, r.Model!, r.Requests)));

        var byKey = await UsageReport.QueryAsync(db, "acme", Day, Day.AddDays(2), UsageGrouping.Key, CancellationToken.None);
        Assert.Equal([("k1", 6L, 1.5m), ("k2", 1L, 0.25m)], byKey.Select(r => (r.KeyId!, r.Requests, r.Cost)));
    }

    [Fact]
    public async Task The_range_rounds_to_whole_hours_and_must_not_be_empty()
    {
        await using var db = _database.CreateContext();
        var rows = await UsageReport.QueryAsync(db, "acme", Day.AddHours(1).AddMinutes(30), Day.AddHours(4).AddMinutes(1), UsageGrouping.None, CancellationToken.None);
        Assert.Equal(2, Assert.Single(rows).Requests);
        await Assert.ThrowsAsync<BillingException>(() => UsageReport.QueryAsync(db, "acme", Day, Day, UsageGrouping.None, CancellationToken.None));
    }

    private static UsageHourly Row(string tenant, string key, string model, DateTimeOffset hour, long requests, decimal cost) => new()
    {
        TenantId = tenant, KeyId = key, Model = model, Hour = hour, Requests = requests, PromptTokens = requests * 10, CompletionTokens = requests, Cost = cost, OutputCost = cost,
    };
}
