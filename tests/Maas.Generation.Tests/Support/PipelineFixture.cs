using Maas.Engine;
using Maas.Engine.Checkpoints;
using Maas.Engine.Tools.Checkpoints;
using Maas.Generation.Pipeline;
using Maas.Grains.Abstractions.Models;
using Maas.Infrastructure.Metering;
using Maas.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Maas.Generation.Tests.Support;

/// <summary>
/// The generation pipeline where the api runs it: an api-role silo (<see cref="ApiRoleSilo"/>, with
/// <c>AddMaasGeneration</c> and a <see cref="CapturingUsageSink"/>) and a real services/Maas.Worker process serving a
/// tiny random DeepSeek-V2-shaped checkpoint with the real DeepSeek-V3 tokenizer as <see cref="Model"/>. No HTTP.
/// </summary>
public sealed class PipelineFixture : IAsyncLifetime
{
    public const string Model = "pipeline-model";

    private readonly TemporaryFolder _checkpoint = new("maas-generation-tests-");
    private ApiRoleSilo? _api;
    private ServiceProcess? _worker;

    public CapturingUsageSink Usage { get; } = new();

    public ApiRoleSilo Api => _api ?? throw new InvalidOperationException("Not started.");

    public GenerationPipeline Pipeline => Api.Services.GetRequiredService<GenerationPipeline>();

    /// <summary>The tiny random checkpoint the worker serves as <see cref="Model"/>.</summary>
    public string CheckpointFolder => _checkpoint.Path;

    public async Task InitializeAsync()
    {
        RandomCheckpointWriter.Write(_checkpoint.Path, CheckpointShape.Tiny, layers: 2, WeightPrecision.Bf16, TestEnvironment.DeepSeekV3TokenizerFolder, seed: 7);
        _api = await ApiRoleSilo.StartAsync(
            new Dictionary<string, string?> { ["Maas:Models:0:Id"] = Model, ["Maas:Models:0:Path"] = _checkpoint.Path },
            builder =>
            {
                // Before AddMaasGeneration, whose TryAdd would otherwise register the log sink.
                builder.Services.AddSingleton<IUsageSink>(Usage);
                builder.Services.AddMaasGeneration();
            });
        _worker = await WorkerProcesses.StartAsync(_api.Primary, Model, _checkpoint.Path, TimeSpan.FromMinutes(5));
        await WaitUntilTheApiSiloCanReachTheReplicaAsync();
    }

    public async Task DisposeAsync()
    {
        await AsyncDisposal.InOrderAsync(_worker, _api);
        _checkpoint.Dispose();
    }

    /// <summary>
    /// The api silo has no replica grain class; it learns the worker's from the cluster manifest shortly after the
    /// worker joined. Until then a generation would be a 503, which is not what these tests are about.
    /// </summary>
    private async Task WaitUntilTheApiSiloCanReachTheReplicaAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            try
            {
                await Api.Grains.GetGrain<IModelReplicaGrain>(ReplicaKey.Format(Model, 0)).GetStatusAsync();
                return;
            }
            catch (ArgumentException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
