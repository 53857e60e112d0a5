using System.Formats.Tar;
using Maas.Engine;
using Maas.Engine.Tools.Checkpoints;
using Maas.Testing;

namespace Maas.Api.Tests.Support;

/// <summary>
/// The api host and a real worker process serving a tiny random checkpoint as <see cref="BaseModel"/>, plus, as
/// <see cref="MergedModel"/>, that checkpoint with <see cref="FineTuneFolder"/>'s experts written over the base ones:
/// what the fine-tune, uploaded and served in the base model's batch, must compute. The worker unloads idle fine-tunes
/// after <see cref="IdleUnload"/>.
/// </summary>
public sealed class FineTuneFixture : IAsyncLifetime
{
    public const string BaseModel = "test-model";

    /// <summary>A priced model id of the seeded tenants (<see cref="SeededTenants.PricedModels"/>).</summary>
    public const string MergedModel = "model-x";

    public static readonly TimeSpan IdleUnload = TimeSpan.FromSeconds(4);

    /// <summary>Above the 8-expert fine-tunes (1.6 MB), below one replacing all 16 experts (3.1 MB).</summary>
    public const long MaxUploadBytes = 2_000_000;

    private readonly TemporaryFolder _root = new("maas-api-finetunes-");
    private ApiHost? _api;
    private ServiceProcess? _worker;

    public string BaseFolder => Path.Combine(_root.Path, "base");

    /// <summary>Replaces 8 of the 16 routed experts of the tiny shape's MoE layer (layer 1).</summary>
    public string FineTuneFolder => Path.Combine(_root.Path, "fine-tune");

    /// <summary>Another fine-tune of the same base (a second version's content).</summary>
    public string OtherFineTuneFolder => Path.Combine(_root.Path, "fine-tune-2");

    public string ArtifactRoot => Path.Combine(_root.Path, "artifacts");

    public ApiHost Api => _api ?? throw new InvalidOperationException("Not started.");

    public ServiceProcess Worker => _worker ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        RandomCheckpointWriter.Write(BaseFolder, CheckpointShape.Tiny, layers: 2, WeightPrecision.Bf16, TestEnvironment.DeepSeekV3TokenizerFolder, seed: 5);
        RandomFineTuneWriter.Write(BaseFolder, new Dictionary<int, int[]> { [1] = [0, 2, 4, 6, 8, 10, 12, 14] }, FineTuneFolder, seed: 101);
        RandomFineTuneWriter.Write(BaseFolder, new Dictionary<int, int[]> { [1] = [1, 3, 5, 7, 9, 11, 13, 15] }, OtherFineTuneFolder, seed: 202, keyPrefix: "");
        var merged = Path.Combine(_root.Path, "merged");
        FineTuneMerger.Merge(BaseFolder, FineTuneFolder, merged);
        _api = await ApiHost.StartAsync(
            [(BaseModel, BaseFolder), (MergedModel, merged)],
            new Dictionary<string, string?>
            {
                ["Maas:FineTunes:ArtifactRoot"] = ArtifactRoot,
                ["Maas:FineTunes:MaxUploadBytes"] = MaxUploadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Maas:Api:MaxRequestBodyBytes"] = (16 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),

                // The first request of each model loads its 128K-token tokenizer; on a machine at load 80 that took over
                // the default 10 s. These tests are not about tokenizing.
                ["Maas:Generation:TokenizationTimeout"] = "00:02:00",
                ["Maas:Generation:TokenizationQueueTimeout"] = "00:02:00",
            });
        _worker = await WorkerProcesses.StartAsync(_api.Primary, BaseModel, BaseFolder, TimeSpan.FromMinutes(5), extraSettings: new Dictionary<string, string>
        {
            ["Maas:Models:1:Id"] = MergedModel,
            ["Maas:Models:1:Path"] = merged,
            ["Maas:FineTunes:IdleUnloadAfter"] = IdleUnload.ToString(),
        });
    }

    public async Task DisposeAsync()
    {
        await AsyncDisposal.InOrderAsync(_worker, _api);
        _root.Dispose();
    }

    /// <summary>The folder packed as a .tar, as a client uploads it.</summary>
    public static byte[] Tar(string folder)
    {
        using var stream = new MemoryStream();
        TarFile.CreateFromDirectory(folder, stream, includeBaseDirectory: true);
        return stream.ToArray();
    }
}
