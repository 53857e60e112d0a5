using System.Net;
using Maas.Grains.Abstractions.Models;
using Maas.Grains.Abstractions.Placement;
using Maas.Grains.Tests.Support;
using Maas.Testing;

namespace Maas.Grains.Tests;

/// <summary>The real worker process (ModelReplicaHost in a worker silo): joins an api-role silo's cluster, hosts replicas, reports readiness and metrics.</summary>
public sealed class WorkerHostTests(WorkerHostFixture fixture) : IClassFixture<WorkerHostFixture>
{
    [Fact]
    public async Task Replica_grain_called_from_the_api_silo_activates_in_the_worker_process()
    {
        var status = await WaitForLoadOutcomeAsync();

        Assert.Equal(SiloRoles.Worker, status.SiloRole);
        Assert.Equal(WorkerHostFixture.Model, status.Model);
        Assert.NotEqual(fixture.Api.SiloAddress, status.SiloAddress);
        Assert.DoesNotContain($":{fixture.Api.Primary.SiloPort}:", status.SiloAddress, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Model_that_cannot_be_loaded_is_reported_failed_with_its_error()
    {
        var status = await WaitForLoadOutcomeAsync();

        Assert.Equal(ModelLoadState.Failed, status.LoadState);
        Assert.False(string.IsNullOrWhiteSpace(status.LoadError));
    }

    [Fact]
    public async Task Worker_is_live_but_not_ready_while_its_model_is_not_loaded()
    {
        using var http = new HttpClient { BaseAddress = fixture.Worker.ManagementAddress };

        using var live = await http.GetAsync("/health/live");
        using var ready = await http.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }

    [Fact]
    public async Task Worker_metrics_report_the_model_as_not_ready()
    {
        using var http = new HttpClient { BaseAddress = fixture.Worker.ManagementAddress };

        var metrics = await http.GetStringAsync("/metrics");

        Assert.Contains($"maas_worker_model_ready{{model=\"{WorkerHostFixture.Model}\"}} 0", metrics, StringComparison.Ordinal);
        Assert.Contains($"maas_worker_batch_sequences{{model=\"{WorkerHostFixture.Model}\"}} 0", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Model_only_in_the_models_table_is_loaded_on_first_generation_when_on_demand_loads_are_allowed()
    {
        const string model = "table-only-model";
        await using (var db = fixture.Api.Database.CreateContext())
        {
            db.Models.Add(new Maas.Infrastructure.Persistence.ModelRegistration { Id = model, Path = Path.Combine(Path.GetTempPath(), "maas-missing-" + Guid.NewGuid().ToString("N")) });
            await db.SaveChangesAsync();
        }

        var replica = fixture.Api.Grains.GetGrain<IModelReplicaGrain>(ReplicaKey.Format(model, 0));
        var before = await replica.GetStatusAsync();
        var command = new GenerateCommand { RequestId = "table-only-1", TenantId = SeededTenants.All, PromptTokens = [1, 2, 3], MaxTokens = 1 };

        // The folder does not exist, so the load itself fails: proof the worker found the model in the table and tried.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var _ in replica.GenerateAsync(command))
            {
            }
        });
        var after = await replica.GetStatusAsync();

        Assert.Equal(ModelLoadState.NotConfigured, before.LoadState);
        Assert.Equal(ModelLoadState.Failed, after.LoadState);
    }

    private async Task<ReplicaStatus> WaitForLoadOutcomeAsync()
    {
        var replica = fixture.Api.Grains.GetGrain<IModelReplicaGrain>(ReplicaKey.Format(WorkerHostFixture.Model, 0));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var status = await replica.GetStatusAsync();
            if (status.LoadState != ModelLoadState.Loading || DateTime.UtcNow > deadline)
            {
                return status;
            }

            await Task.Delay(200);
        }
    }
}
