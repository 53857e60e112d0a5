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

    private readonly string _checkpoint = Path.Combine(Path.GetTempPath(), "maas-api-tests-" + Guid.NewGuid().ToString("N")[..8]);
    private ApiHost? _api;
    private ServiceProcess? _worker;

    /// <summary>The checkpoint the worker serves (its files define the weights digest on usage records).</summary>
    public string CheckpointFolder => _checkpoint;

    public ApiHost Api => _api ?? throw new InvalidOperationException("Not started.");

    public ServiceProcess Worker => _worker ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        RandomCheckpointWriter.Write(_checkpoint, CheckpointShape.Tiny, layers: 2, WeightPrecision.Bf16,
            Path.Combine(TestEnvironment.RepositoryRoot, "infra", "models", "deepseek-v3-tokenizer"), seed: 5);
        _api = await ApiHost.StartAsync([(Model, _checkpoint)]);
        _worker = await WorkerProcesses.StartAsync(_api, Model, _checkpoint, TimeSpan.FromMinutes(5));
    }

    public async Task DisposeAsync()
    {
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }

        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        if (Directory.Exists(_checkpoint))
        {
            Directory.Delete(_checkpoint, recursive: true);
        }
    }
}
