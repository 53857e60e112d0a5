using Maas.Engine;
using Maas.Engine.Checkpoints;
using Maas.Engine.Tools.Checkpoints;
using Maas.Testing;

namespace Maas.Api.Tests.Support;

/// <summary>
/// The api host plus a real worker process serving a tiny random DeepSeek-V2-shaped checkpoint (written
/// for the test run, with the real DeepSeek-V3 tokenizer) as "test-model".
/// </summary>
public sealed class GenerationFixture : IAsyncLifetime
{
    public const string Model = "test-model";

    private readonly TemporaryFolder _checkpoint = new("maas-api-tests-");
    private ApiHost? _api;
    private ServiceProcess? _worker;

    /// <summary>The checkpoint the worker serves (its files define the weights digest on usage records).</summary>
    public string CheckpointFolder => _checkpoint.Path;

    public ApiHost Api => _api ?? throw new InvalidOperationException("Not started.");

    public ServiceProcess Worker => _worker ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        RandomCheckpointWriter.Write(_checkpoint.Path, CheckpointShape.Tiny, layers: 2, WeightPrecision.Bf16,
            TestEnvironment.DeepSeekV3TokenizerFolder, seed: 5);
        _api = await ApiHost.StartAsync([(Model, _checkpoint.Path)]);
        _worker = await WorkerProcesses.StartAsync(_api.Primary, Model, _checkpoint.Path, TimeSpan.FromMinutes(5));
    }

    public async Task DisposeAsync()
    {
        await AsyncDisposal.InOrderAsync(_worker, _api);
        _checkpoint.Dispose();
    }
}
