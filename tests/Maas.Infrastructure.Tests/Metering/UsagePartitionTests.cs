using Maas.Infrastructure.Metering;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Maas.Infrastructure.Tests.Metering;

/// <summary>usage_events is partitioned by month: partitions are made ahead and on demand, and retention drops whole months.</summary>
public sealed class UsagePartitionTests : IAsyncLifetime
{
    private readonly string _spill = Path.Combine(Path.GetTempPath(), "maas-spill-" + Guid.NewGuid().ToString("N")[..8]);
    private PostgresTestDatabase _database = null!;
    private MeteringHost _host = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        await TestPrices.SeedAsync(_database, "model-a");
        // The host keeps every month, so its own maintenance run at start cannot drop what a test writes into the past.
        _host = await MeteringHost.StartAsync(_database.ConnectionString, _spill, new Dictionary<string, string?> { ["Maas:Metering:RetentionMonths"] = "0" });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _database.DisposeAsync();
        Directory.Delete(_spill, recursive: true);
    }

    [Fact]
    public async Task The_table_is_partitioned_by_month_and_the_coming_months_exist()
    {
        await _host.Services.GetRequiredService<UsagePartitionMaintenance>().RunOnceAsync(CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        var partitions = await PartitionsAsync();
        for (var i = 0; i <= 2; i++)
        {
            Assert.Contains($"usage_events_p{now.AddMonths(i):yyyyMM}", partitions);
        }

        Assert.Equal("r", await ScalarAsync<string>("SELECT partstrat::text FROM pg_partitioned_table WHERE partrelid = 'usage_events'::regclass"));
    }

    [Fact]
    public async Task A_record_of_a_month_without_a_partition_gets_one_and_each_month_lands_in_its_own()
    {
        var old = new DateTimeOffset(2019, 3, 31, 23, 59, 59, TimeSpan.Zero);
        await _host.Sink.RecordAsync(UsageRecords.Of("req-2019-03", receivedAt: old), CancellationToken.None);
        await _host.Sink.RecordAsync(UsageRecords.Of("req-2019-04", receivedAt: old.AddSeconds(1)), CancellationToken.None);

        Assert.Equal("usage_events_p201903", await ScalarAsync<string>("SELECT tableoid::regclass::text FROM usage_events WHERE request_id = 'req-2019-03'"));
        Assert.Equal("usage_events_p201904", await ScalarAsync<string>("SELECT tableoid::regclass::text FROM usage_events WHERE request_id = 'req-2019-04'"));
    }

    [Fact]
    public async Task Retention_drops_the_partitions_of_expired_months_and_keeps_the_rest_and_the_rollups()
    {
        await _host.Sink.RecordAsync(UsageRecords.Of("req-expired", tenant: "tenant-r", receivedAt: new DateTimeOffset(2018, 6, 15, 0, 0, 0, TimeSpan.Zero)), CancellationToken.None);
        await _host.Sink.RecordAsync(UsageRecords.Of("req-current", tenant: "tenant-r"), CancellationToken.None);

        Assert.Contains("usage_events_p201806", await PartitionsAsync());
        var retention = new UsagePartitionMaintenance(
            _host.Services.GetRequiredService<UsageEventWriter>(), Options.Create(new MeteringOptions { RetentionMonths = 12 }), TimeProvider.System, NullLogger<UsagePartitionMaintenance>.Instance);
        await retention.RunOnceAsync(CancellationToken.None);

        var partitions = await PartitionsAsync();
        Assert.DoesNotContain("usage_events_p201806", partitions);
        Assert.Contains($"usage_events_p{DateTimeOffset.UtcNow:yyyyMM}", partitions);
        await using var db = _database.CreateContext();
        Assert.Equal(["req-current"], await db.UsageEvents.Where(e => e.TenantId == "tenant-r").Select(e => e.RequestId).ToListAsync());
        Assert.Equal(2, (await db.UsageHourly.Where(u => u.TenantId == "tenant-r").ToListAsync()).Sum(u => u.Requests));
    }

    private async Task<List<string>> PartitionsAsync()
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'usage_events'::regclass", connection);
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
