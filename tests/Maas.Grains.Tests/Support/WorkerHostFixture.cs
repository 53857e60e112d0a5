using Maas.Testing;

namespace Maas.Grains.Tests.Support;

/// <summary>
/// An api-role silo (<see cref="ApiRoleSilo"/>) plus a real worker process configured for a model whose folder
/// does not exist, so the worker runs and joins the cluster but can never load the model (in any build of the engine).
/// The worker may load models of the PostgreSQL models table on demand (Maas:ModelHosting:AllowOnDemandLoads).
/// </summary>
public sealed class WorkerHostFixture : IAsyncLifetime
{
    public const string Model = "unloadable-model";

    private ApiRoleSilo? _api;
    private ServiceProcess? _worker;

    public ApiRoleSilo Api => _api ?? throw new InvalidOperationException("Not started.");

    public ServiceProcess Worker => _worker ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        var missingFolder = Path.Combine(Path.GetTempPath(), "maas-no-such-model-" + Guid.NewGuid().ToString("N"));
        _api = await ApiRoleSilo.StartAsync();
        _worker = await WorkerProcesses.StartAsync(_api.Primary, Model, missingFolder, TimeSpan.FromMinutes(2), "/health/live",
            new Dictionary<string, string> { ["Maas:ModelHosting:AllowOnDemandLoads"] = "true" });
    }

    public Task DisposeAsync() => AsyncDisposal.InOrderAsync(_worker, _api);
}
