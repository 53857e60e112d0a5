using System.Diagnostics;
using System.Globalization;
using System.Net;
using Maas.Api.Tests.Support;
using Maas.Engine;
using Maas.Engine.Checkpoints;
using Maas.Engine.Tools.Checkpoints;
using Maas.Grains.Abstractions.Models;
using Maas.Grains.Abstractions.Tenancy;
using Maas.Testing;

namespace Maas.Api.Tests;

/// <summary>
/// Issue 16, item 7: an api silo that dies mid-generation leaves nothing behind. Two api silos (this process's, which
/// hosts the tenant grain, and a second api process) and a worker process; the second api is killed while it streams.
/// Its tenant slot is released within the tenant lease (3 s here) and its sequence on the worker is cancelled within
/// the consumer lease (2 s here) instead of running to max_tokens.
/// </summary>
public sealed class ApiSiloCrashTests : IAsyncLifetime
{
    private const string Model = "crash-model";
    private const string LeaseDuration = "00:00:03";
    private const string ConsumerLease = "00:00:02";

    private readonly TemporaryFolder _checkpoint = new("maas-api-crash-");
    private readonly TemporaryFolder _spill = new("maas-api-crash-spill-");
    private ApiHost _api = null!;
    private ServiceProcess _worker = null!;
    private ServiceProcess _doomed = null!;

    public async Task InitializeAsync()
    {
        RandomCheckpointWriter.Write(_checkpoint.Path, CheckpointShape.Tiny, layers: 2, WeightPrecision.Bf16, TestEnvironment.DeepSeekV3TokenizerFolder, seed: 3);
        _api = await ApiHost.StartAsync([(Model, _checkpoint.Path)], new Dictionary<string, string?>
        {
            ["Maas:Tenancy:LeaseDuration"] = LeaseDuration,
            ["Maas:Generation:ReplicaConsumerLease"] = ConsumerLease,
        });
        _worker = await WorkerProcesses.StartAsync(_api.Primary, Model, _checkpoint.Path, TimeSpan.FromMinutes(5));
        _doomed = await ServiceProcess.StartAsync("services", "Maas.Api", new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = _api.Primary.PostgresConnectionString,
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
            ["Maas:Gateway:SigningSecret"] = ApiHost.SigningSecret,
            ["Maas:Orleans:SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Maas:Orleans:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Maas:Orleans:PrimarySiloEndpoint"] = $"127.0.0.1:{_api.Primary.SiloPort}",
            ["Maas:Orleans:ClusterId"] = _api.Primary.ClusterId,
            ["Maas:Models:0:Id"] = Model,
            ["Maas:Models:0:Path"] = _checkpoint.Path,
            ["Maas:Tenancy:LeaseDuration"] = LeaseDuration,
            ["Maas:Generation:ReplicaConsumerLease"] = ConsumerLease,
            ["Maas:Metering:SpillDirectory"] = _spill.Path,
        }, TimeSpan.FromMinutes(3));
    }

    public async Task DisposeAsync()
    {
        await AsyncDisposal.InOrderAsync(_doomed, _worker, _api);
        _checkpoint.Dispose();
        _spill.Dispose();
    }

    [Fact]
    public async Task A_dead_api_silos_slot_is_released_within_the_lease_and_its_sequence_is_cancelled_within_seconds()
    {
        // The tenant (one concurrent request) lives on this process's silo, which survives.
        var tenant = _api.Grains.GetGrain<ITenantGrain>(SeededTenants.Single);
        Assert.Equal(0, await tenant.GetActiveRequestsAsync());
        var replica = _api.Grains.GetGrain<IModelReplicaGrain>(ReplicaKey.Format(Model, 0));
        var orphanedBefore = await OrphanedAsync();

        using var doomed = new HttpClient { BaseAddress = _doomed.Address, Timeout = Timeout.InfiniteTimeSpan };
        const string body = $$"""{ "model": "{{Model}}", "stream": true, "max_tokens": 3500, "ignore_eos": true, "messages": [{"role": "user", "content": "Write the longest shift report."}] }""";
        var response = await doomed.SendAsync(_api.Requests.Post("/v1/chat/completions", SeededTenants.Single, body), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line && !line.StartsWith("data: {", StringComparison.Ordinal))
        {
        }

        Assert.Equal(1, await tenant.GetActiveRequestsAsync());
        Assert.Equal(1, (await replica.GetStatusAsync()).ActiveSequences);

        var killed = Stopwatch.StartNew();
        await _doomed.KillAsync();
        response.Dispose();

        var sequenceGone = await WaitAsync(async () => (await replica.GetStatusAsync()).ActiveSequences == 0);
        var slotFree = await WaitAsync(async () => await tenant.GetActiveRequestsAsync() == 0);

        // Without the leases: the slot held 15 minutes, the sequence computed to 3500 tokens.
        Assert.True(sequenceGone < TimeSpan.FromSeconds(10), $"the orphaned sequence ran {sequenceGone.TotalSeconds:F1} s after the kill");
        Assert.True(await OrphanedAsync() > orphanedBefore, "the sequence ended for another reason than its expired consumer lease: " + await FinishesAsync() + $" after {sequenceGone.TotalSeconds:F1} s");
        Assert.True(slotFree < TimeSpan.FromSeconds(10), $"the slot was held {slotFree.TotalSeconds:F1} s after the kill");

        // The tenant's one slot is usable again through the surviving api.
        using var next = await _api.Http.SendAsync(_api.Requests.Post("/v1/chat/completions", SeededTenants.Single,
            $$"""{ "model": "{{Model}}", "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}] }"""));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);

        async Task<TimeSpan> WaitAsync(Func<Task<bool>> done)
        {
            while (killed.Elapsed < TimeSpan.FromSeconds(30) && !await done())
            {
                await Task.Delay(100);
            }

            return killed.Elapsed;
        }
    }

    private async Task<string> FinishesAsync()
    {
        using var http = new HttpClient { BaseAddress = _worker.ManagementAddress };
        return string.Join("; ", (await http.GetStringAsync("/metrics")).Split('\n').Where(l => l.StartsWith("maas_worker_sequences_total", StringComparison.Ordinal)));
    }

    /// <summary>Sequences the worker cancelled because their consumer stopped renewing its lease.</summary>
    private async Task<double> OrphanedAsync()
    {
        using var http = new HttpClient { BaseAddress = _worker.ManagementAddress };
        var metrics = await http.GetStringAsync("/metrics");
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith($"maas_worker_sequences_total{{model=\"{Model}\",finish=\"Orphaned\"}}", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line.Split(' ')[^1], CultureInfo.InvariantCulture);
    }
}
