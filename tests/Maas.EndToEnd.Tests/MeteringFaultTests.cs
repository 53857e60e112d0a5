using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Maas.Infrastructure.Metering;
using Maas.Testing;

namespace Maas.EndToEnd.Tests;

/// <summary>
/// Metering under faults, through real processes (api and worker) and a real PostgreSQL the tests stop and start:
/// no usage record is lost or counted twice, responses keep completing while the database is down, and concurrent
/// requests never spend past a budget. Each test leaves the platform running.
/// </summary>
[Collection(MeteringFaultCollection.Name)]
public sealed class MeteringFaultTests(MeteringFaultFixture platform)
{
    [Fact]
    public async Task Killing_the_api_right_after_its_responses_leaves_exactly_one_record_per_request()
    {
        var tenant = await platform.CreateTenantAsync();
        var ids = Enumerable.Range(0, 12).Select(_ => MeteringFaultFixture.NewRequestId()).ToList();
        var results = await Task.WhenAll(ids.Select((id, i) => platform.CompleteAsync(tenant, id, maxTokens: 3, stream: i % 2 == 0)));
        Assert.All(results, r => Assert.True(r.Status == 200, r.Body));

        await platform.Api.KillAsync();

        var counts = await platform.RecordCountsAsync(tenant);
        Assert.Equal(ids.Order(), counts.Keys.Order());
        Assert.All(counts.Values, n => Assert.Equal(1, n));

        await platform.RestartAsync();
        counts = await platform.RecordCountsAsync(tenant);
        Assert.Equal(ids.Count, counts.Count);
        Assert.All(counts.Values, n => Assert.Equal(1, n));
    }

    [Fact]
    public async Task Records_spilled_while_PostgreSQL_was_down_survive_a_kill_of_the_api_and_land_exactly_once_after_restart()
    {
        var tenant = await platform.CreateTenantAsync();
        Assert.Equal(200, (await platform.CompleteAsync(tenant, MeteringFaultFixture.NewRequestId(), maxTokens: 1)).Status);
        var ids = Enumerable.Range(0, 8).Select(_ => MeteringFaultFixture.NewRequestId()).ToList();

        await platform.Postgres.StopAsync();
        try
        {
            var results = await Task.WhenAll(ids.Select((id, i) => platform.CompleteAsync(tenant, id, maxTokens: 2, stream: i % 2 == 1)));
            Assert.All(results, r => Assert.True(r.Status == 200, r.Body));
            await platform.Api.KillAsync();
        }
        finally
        {
            await platform.Postgres.StartAsync();
        }

        var spilled = Directory.GetFiles(platform.SpillDirectory, UsageSpill.SegmentPattern).SelectMany(f => UsageSpill.ReadSegment(f).Records).Select(r => r.RequestId).ToList();
        Assert.Equal(ids.Order(), spilled.Where(ids.Contains).Order());

        await platform.RestartAsync();
        var counts = await WaitForRecordsAsync(tenant, ids.Count + 1);
        Assert.All(ids, id => Assert.Equal(1, counts.GetValueOrDefault(id)));
        Assert.All(counts.Values, n => Assert.Equal(1, n));
        await WaitUntilAsync(() => Directory.GetFiles(platform.SpillDirectory, UsageSpill.SegmentPattern).Length == 0);
    }

    [Fact]
    public async Task PostgreSQL_stopped_during_traffic_every_response_completes_and_every_request_lands_exactly_once()
    {
        var tenant = await platform.CreateTenantAsync();
        Assert.Equal(200, (await platform.CompleteAsync(tenant, MeteringFaultFixture.NewRequestId(), maxTokens: 1)).Status);
        var spilledBefore = await PrometheusText.ReadAsync(platform.Api.ManagementAddress, "maas_metering_records_spilled_total");
        var replayedBefore = await PrometheusText.ReadAsync(platform.Api.ManagementAddress, "maas_metering_records_replayed_total");

        var sent = new ConcurrentBag<(string Id, int Status, string Body)>();
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
        {
            var i = 0;
            while (!stop.IsCancellationRequested)
            {
                var id = MeteringFaultFixture.NewRequestId();
                var (status, body) = await platform.CompleteAsync(tenant, id, maxTokens: 2, stream: (c + i++) % 2 == 0);
                sent.Add((id, status, body));
            }
        })).ToList();

        await Task.Delay(TimeSpan.FromSeconds(1));
        var beforeOutage = sent.Count;
        await platform.Postgres.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        var duringOutage = sent.Count - beforeOutage;
        await platform.Postgres.StartAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.All(sent, r => Assert.True(r.Status == 200, r.Body));
        Assert.True(duringOutage > 0, "no response completed while PostgreSQL was down");
        var counts = await WaitForRecordsAsync(tenant, sent.Count + 1);
        Assert.All(sent, r => Assert.Equal(1, counts.GetValueOrDefault(r.Id)));
        Assert.All(counts.Values, n => Assert.Equal(1, n));
        Assert.True(await PrometheusText.ReadAsync(platform.Api.ManagementAddress, "maas_metering_records_spilled_total") > spilledBefore);
        Assert.True(await PrometheusText.ReadAsync(platform.Api.ManagementAddress, "maas_metering_records_replayed_total") > replayedBefore);
    }

    [Fact]
    public async Task Fifty_concurrent_requests_against_a_budget_for_ten_never_spend_past_it()
    {
        const int maxTokens = 8;
        var (status, body) = await platform.CompleteAsync(await platform.CreateTenantAsync(), MeteringFaultFixture.NewRequestId(), maxTokens);
        Assert.True(status == 200, body);
        using var calibration = JsonDocument.Parse(body);
        var promptTokens = calibration.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        var realCost = (promptTokens * TestPrices.InputMiss + maxTokens * TestPrices.Output) / 1_000_000m;

        // Admission runs before tokenizing (issue 16), on a bound of the prompt: BOS plus one token per UTF-8 byte.
        var promptBound = 1 + Encoding.UTF8.GetByteCount(MeteringFaultFixture.Prompt);
        var reserved = (promptBound * TestPrices.InputMiss + maxTokens * TestPrices.Output) / 1_000_000m;
        var budget = reserved * 10.5m;
        var tenant = await platform.CreateTenantAsync(budget);

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => platform.CompleteAsync(tenant, MeteringFaultFixture.NewRequestId(), maxTokens)));

        // Ten reservations fit at once; a request that finishes settles less than it reserved, so a few more may
        // be admitted later, but never past the budget.
        var served = results.Count(r => r.Status == 200);
        Assert.InRange(served, 10, 50);
        Assert.All(results.Where(r => r.Status != 200), r =>
        {
            Assert.Equal(429, r.Status);
            Assert.Contains("insufficient_quota", r.Body, StringComparison.Ordinal);
        });
        var records = await platform.RecordsAsync(tenant);
        Assert.Equal(served, records.Count);
        Assert.True(records.Sum(r => r.Cost!.Value) <= budget);
        Assert.Equal(realCost * served, records.Sum(r => r.Cost!.Value));
    }

    private async Task<Dictionary<string, int>> WaitForRecordsAsync(string tenant, int expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var counts = await platform.RecordCountsAsync(tenant);
            if (counts.Count >= expected || DateTime.UtcNow > deadline)
            {
                return counts;
            }

            await Task.Delay(200);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(100);
        }
    }
}
