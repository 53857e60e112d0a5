using Maas.Generation.Tests.Support;
using Maas.Grains.Abstractions.Models;
using Maas.Infrastructure.Persistence;
using Maas.Testing;

namespace Maas.Generation.Tests;

/// <summary>
/// Issue 16, item 7: a worker loads only the models configured for it. A model that is merely an enabled row of the
/// models table (which the api serves) is refused by a worker with default settings instead of being loaded because
/// some tenant named it.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class WorkerModelLoadingTests(PipelineFixture fixture)
{
    [Fact]
    public async Task A_worker_does_not_load_a_model_it_is_not_configured_for()
    {
        var model = "table-only-" + Guid.NewGuid().ToString("N")[..8];
        await using (var db = fixture.Api.Database.CreateContext())
        {
            db.Models.Add(new ModelRegistration { Id = model, Path = fixture.CheckpointFolder, CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        var replica = fixture.Api.Grains.GetGrain<IModelReplicaGrain>(ReplicaKey.Format(model, 0));
        var command = new GenerateCommand { RequestId = "not-configured-" + Guid.NewGuid().ToString("N"), TenantId = SeededTenants.All, PromptTokens = [1, 2, 3], MaxTokens = 1 };

        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var _ in replica.GenerateAsync(command))
            {
            }
        });
        var status = await replica.GetStatusAsync();

        Assert.Contains("AllowOnDemandLoads", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(ModelLoadState.NotConfigured, status.LoadState);
    }
}
