using Maas.Grains.Abstractions.Models;
using Maas.Grains.Abstractions.Placement;
using Maas.Grains.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Maas.Grains.Tests;

/// <summary>Model replica grains activate only on worker silos, preferring workers configured for their model.</summary>
[Collection(SiloClusterCollection.Name)]
public sealed class WorkerPlacementTests(SiloClusterFixture fixture)
{
    [Fact]
    public async Task Replicas_activated_from_the_api_silo_all_land_on_worker_silos()
    {
        var api = fixture.Cluster.Silos.Single(s => SiloClusterFixture.RoleOf(s.Name) == SiloRoles.Api);
        var workers = fixture.Cluster.Silos.Where(s => SiloClusterFixture.RoleOf(s.Name) == SiloRoles.Worker).Select(s => s.SiloAddress.ToString()).ToHashSet();
        var grains = api.ServiceProvider.GetRequiredService<IGrainFactory>();

        var statuses = new List<ReplicaStatus>();
        foreach (var key in new[] { "model-x/0", "model-x/1", "model-y/0", "model-y/3", "unplaced-model/0", "unplaced-model/1", "org/with-slash/2" })
        {
            statuses.Add(await grains.GetGrain<IModelReplicaGrain>(key).GetStatusAsync());
        }

        Assert.All(statuses, s =>
        {
            Assert.Equal(SiloRoles.Worker, s.SiloRole);
            Assert.Contains(s.SiloAddress, workers);
            Assert.NotEqual(api.SiloAddress.ToString(), s.SiloAddress);
        });
    }

    [Fact]
    public async Task Replicas_go_to_the_worker_that_serves_their_model()
    {
        var workerX = fixture.Cluster.Silos.Single(s => SiloClusterFixture.ModelsOf(s.Name).Contains(SiloClusterFixture.ModelX)).SiloAddress.ToString();
        var workerY = fixture.Cluster.Silos.Single(s => SiloClusterFixture.ModelsOf(s.Name).Contains(SiloClusterFixture.ModelY)).SiloAddress.ToString();

        for (var replica = 4; replica < 8; replica++)
        {
            var x = await fixture.Client.GetGrain<IModelReplicaGrain>(ReplicaKey.Format(SiloClusterFixture.ModelX, replica)).GetStatusAsync();
            var y = await fixture.Client.GetGrain<IModelReplicaGrain>(ReplicaKey.Format(SiloClusterFixture.ModelY, replica)).GetStatusAsync();
            Assert.Equal(workerX, x.SiloAddress);
            Assert.Equal(workerY, y.SiloAddress);
            Assert.Equal(SiloClusterFixture.ModelX, x.Model);
            Assert.Equal(replica, y.Replica);
        }
    }

    [Fact]
    public async Task Replicas_of_a_model_no_worker_serves_spread_over_all_workers()
    {
        var silos = new HashSet<string>();
        for (var replica = 0; replica < 4; replica++)
        {
            silos.Add((await fixture.Client.GetGrain<IModelReplicaGrain>(ReplicaKey.Format("spread-model", replica)).GetStatusAsync()).SiloAddress);
        }

        Assert.Equal(2, silos.Count);
    }

    [Fact]
    public async Task Replica_of_a_model_the_worker_does_not_host_reports_not_configured()
    {
        var status = await fixture.Client.GetGrain<IModelReplicaGrain>("unknown-model/0").GetStatusAsync();

        Assert.Equal(ModelLoadState.NotConfigured, status.LoadState);
        Assert.Equal(0, status.ActiveSequences);
    }
}
