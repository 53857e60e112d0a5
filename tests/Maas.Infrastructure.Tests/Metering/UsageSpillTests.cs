using Maas.Infrastructure.Metering;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maas.Infrastructure.Tests.Metering;

/// <summary>
/// PostgreSQL unreachable: records go to the local spill (durable, checksummed) and a later process replays them into
/// the real database exactly once.
/// </summary>
public sealed class UsageSpillTests : IAsyncLifetime
{
    private readonly string _spill = Path.Combine(Path.GetTempPath(), "maas-spill-" + Guid.NewGuid().ToString("N")[..8]);
    private PostgresTestDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        await TestPrices.SeedAsync(_database, "model-a");
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        if (Directory.Exists(_spill))
        {
            Directory.Delete(_spill, recursive: true);
        }
    }

    [Fact]
    public async Task While_PostgreSQL_is_unreachable_records_are_spilled_and_a_restarted_process_replays_each_exactly_once()
    {
        var records = Enumerable.Range(0, 300).Select(i => UsageRecords.Of($"req-spill-{i}", tenant: "tenant-s", prompt: 10, completion: i)).ToList();
        await using (var down = await MeteringHost.StartAsync(MeteringHost.UnreachablePostgres, _spill))
        {
            // Every call returns (the record is durable in the spill), although no database answers.
            await Task.WhenAll(records.Select(r => down.Sink.RecordAsync(r, CancellationToken.None).AsTask()));
            Assert.True(down.Spill.HasRecords);
        }

        var spilled = Directory.GetFiles(_spill, UsageSpill.SegmentPattern).SelectMany(f => UsageSpill.ReadSegment(f).Records).ToList();
        Assert.Equal(records.Count, spilled.Count);
        Assert.Equal(records.OrderBy(r => r.RequestId), spilled.OrderBy(r => r.RequestId));

        await using (var up = await MeteringHost.StartAsync(_database.ConnectionString, _spill))
        {
            await WaitUntilAsync(() => !up.Spill.HasRecords);
        }

        await using var db = _database.CreateContext();
        var stored = await db.UsageEvents.Where(e => e.TenantId == "tenant-s").Select(e => e.RequestId).ToListAsync();
        Assert.Equal(records.Select(r => r.RequestId).Order(), stored.Order());
        Assert.Equal(records.Count, (await db.UsageHourly.Where(u => u.TenantId == "tenant-s").ToListAsync()).Sum(u => u.Requests));
        Assert.Empty(Directory.GetFiles(_spill, UsageSpill.SegmentPattern));
    }

    [Fact]
    public async Task Replaying_records_that_are_already_stored_adds_nothing()
    {
        var records = Enumerable.Range(0, 20).Select(i => UsageRecords.Of($"req-dup-{i}", tenant: "tenant-d")).ToList();
        await using (var up = await MeteringHost.StartAsync(_database.ConnectionString, _spill))
        {
            foreach (var record in records)
            {
                await up.Sink.RecordAsync(record, CancellationToken.None);
            }

            // The same records also in the spill, as after a commit that landed although its acknowledgement was lost.
            await up.Spill.AppendAsync(records, CancellationToken.None);
            await up.Services.GetRequiredService<UsageSpillReplayer>().ReplayAsync(CancellationToken.None);
            Assert.False(up.Spill.HasRecords);
        }

        await using var db = _database.CreateContext();
        Assert.Equal(20, await db.UsageEvents.CountAsync(e => e.TenantId == "tenant-d"));
        Assert.Equal(20, (await db.UsageHourly.Where(u => u.TenantId == "tenant-d").ToListAsync()).Sum(u => u.Requests));
    }

    [Fact]
    public async Task A_line_torn_by_a_crash_fails_its_checksum_and_the_intact_lines_are_kept()
    {
        Directory.CreateDirectory(_spill);
        var path = Path.Combine(_spill, "usage-20261101T000000000Z-000001.spill");
        await using (var file = File.Create(path))
        {
            UsageSpill.WriteLine(file, UsageRecords.Of("req-intact-1"));
            UsageSpill.WriteLine(file, UsageRecords.Of("req-intact-2"));
            var torn = new MemoryStream();
            UsageSpill.WriteLine(torn, UsageRecords.Of("req-torn"));
            file.Write(torn.ToArray().AsSpan(0, (int)torn.Length / 2));
        }

        var flipped = Path.Combine(_spill, "usage-20261101T000000000Z-000002.spill");
        var line = new MemoryStream();
        UsageSpill.WriteLine(line, UsageRecords.Of("req-flipped"));
        var bytes = line.ToArray();
        bytes[40] ^= 0x01;
        await File.WriteAllBytesAsync(flipped, bytes);

        var (records, corrupt) = UsageSpill.ReadSegment(path);
        Assert.Equal(["req-intact-1", "req-intact-2"], records.Select(r => r.RequestId));
        Assert.Equal(1, corrupt);
        Assert.Equal(1, UsageSpill.ReadSegment(flipped).CorruptLines);
        Assert.Empty(UsageSpill.ReadSegment(flipped).Records);
    }

    [Fact]
    public void A_second_process_cannot_use_the_same_spill_directory()
    {
        using var first = new UsageSpill(_spill, TimeProvider.System, new MeteringMetrics(), NullLogger.Instance);
        var refused = Assert.Throws<InvalidOperationException>(() => new UsageSpill(_spill, TimeProvider.System, new MeteringMetrics(), NullLogger.Instance));
        Assert.Contains("in use", refused.Message, StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(50);
        }
    }
}
