using System.Text.Json;

namespace Maas.Checkpoints.FineTunes;

/// <summary>
/// An ESFT fine-tune folder checked against its base model: <c>expert_cfg.json</c>
/// (<c>{"experts": {"&lt;layer&gt;": [ids]}, "shared_experts": false, "non_expert_modules": false}</c>) and safetensors
/// files holding exactly the listed routed experts' gate, up and down projections, named as in the base checkpoint (with
/// or without the <c>model.</c> prefix), shaped as the base's experts, in a dtype the engine loads (F32, BF16, F16, or
/// F8_E4M3 with its <c>weight_scale_inv</c> block scales). Every violation is a <see cref="CheckpointException"/> naming
/// the layer, expert or tensor. The one validation of the api (at upload) and of the engine (at load).
/// </summary>
public sealed class FineTuneManifest
{
    public const string ConfigFileName = "expert_cfg.json";

    /// <summary>The three projections of a routed expert, in load order.</summary>
    public static IReadOnlyList<string> Projections { get; } = ["gate_proj", "up_proj", "down_proj"];

    private FineTuneManifest(string folder, SortedDictionary<int, int[]> experts, Dictionary<string, string> storedNames, long weightBytes)
    {
        Folder = folder;
        Experts = experts;
        StoredNames = storedNames;
        WeightBytes = weightBytes;
        ExpertCount = experts.Values.Sum(e => e.Length);
    }

    public string Folder { get; }

    /// <summary>Replaced routed experts per MoE layer (ascending layers, ascending ids).</summary>
    public IReadOnlyDictionary<int, int[]> Experts { get; }

    public int ExpertCount { get; }

    /// <summary>Bytes of the replacement weights as stored (what loading reads).</summary>
    public long WeightBytes { get; }

    /// <summary>Canonical tensor name (<see cref="TensorName"/>) → the name stored in the files (prefix as uploaded).</summary>
    public IReadOnlyDictionary<string, string> StoredNames { get; }

    /// <summary>The base checkpoint's name of a routed expert's projection weight.</summary>
    public static string TensorName(int layer, int expert, string projection) =>
        $"model.layers.{layer}.mlp.experts.{expert}.{projection}.weight";

    public static FineTuneManifest Validate(string folder, ModelConfig baseModel)
    {
        var experts = ReadConfig(folder, baseModel);
        var files = Directory.GetFiles(folder, "*.safetensors");
        if (files.Length == 0)
        {
            throw new CheckpointException("the fine-tune has no *.safetensors file");
        }

        Array.Sort(files, StringComparer.Ordinal);
        var found = new Dictionary<string, (string Stored, SafetensorsHeaderEntry Entry)>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var entry in SafetensorsHeader.Read(file))
            {
                var canonical = entry.Name.StartsWith("model.", StringComparison.Ordinal) ? entry.Name : "model." + entry.Name;
                if (!found.TryAdd(canonical, (entry.Name, entry)))
                {
                    throw new CheckpointException($"tensor '{entry.Name}' appears more than once in the fine-tune's files");
                }
            }
        }

        var stored = new Dictionary<string, string>(StringComparer.Ordinal);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        long bytes = 0;
        foreach (var (layer, ids) in experts)
        {
            foreach (var expert in ids)
            {
                foreach (var projection in Projections)
                {
                    var name = TensorName(layer, expert, projection);
                    var (rows, cols) = projection == "down_proj"
                        ? (baseModel.HiddenSize, baseModel.MoeIntermediateSize)
                        : (baseModel.MoeIntermediateSize, baseModel.HiddenSize);
                    expected.Add(name);
                    if (!found.TryGetValue(name, out var tensor))
                    {
                        throw new CheckpointException($"tensor '{name}' is missing: expert_cfg.json lists expert {expert} of layer {layer}");
                    }

                    CheckMatrix(tensor.Entry, rows, cols);
                    stored[name] = tensor.Stored;
                    bytes += tensor.Entry.End - tensor.Entry.Begin;
                    if (tensor.Entry.Dtype == "F8_E4M3")
                    {
                        var scales = name + "_scale_inv";
                        expected.Add(scales);
                        if (!found.TryGetValue(scales, out var scale))
                        {
                            throw new CheckpointException($"tensor '{tensor.Stored}' is F8_E4M3 but its block scales '{tensor.Stored}_scale_inv' are missing");
                        }

                        CheckScales(scale.Entry, rows, cols);
                        stored[scales] = scale.Stored;
                        bytes += scale.Entry.End - scale.Entry.Begin;
                    }
                }
            }
        }

        foreach (var (canonical, tensor) in found)
        {
            if (!expected.Contains(canonical))
            {
                throw new CheckpointException($"tensor '{tensor.Stored}' is not one of the routed experts expert_cfg.json lists; a fine-tune holds only those");
            }
        }

        return new FineTuneManifest(folder, experts, stored, bytes);
    }

    private static void CheckMatrix(SafetensorsHeaderEntry entry, int rows, int cols)
    {
        if (SafetensorsHeader.LoadableElementSize(entry.Dtype) == 0)
        {
            throw new CheckpointException($"tensor '{entry.Name}' has dtype {entry.Dtype}; expected F32, BF16, F16 or F8_E4M3");
        }

        if (entry.Shape.Count != 2 || entry.Shape[0] != rows || entry.Shape[1] != cols)
        {
            throw new CheckpointException($"tensor '{entry.Name}' has shape {entry.ShapeText}; the base model's experts are [{rows}, {cols}]");
        }
    }

    private static void CheckScales(SafetensorsHeaderEntry entry, int rows, int cols)
    {
        long blockRows = (rows + 127) / 128, blockCols = (cols + 127) / 128;
        if (entry.Dtype != "F32" || entry.Shape.Count != 2 || entry.Shape[0] != blockRows || entry.Shape[1] != blockCols)
        {
            throw new CheckpointException($"tensor '{entry.Name}' is {entry.Dtype} {entry.ShapeText}; FP8 block scales are F32 [{blockRows}, {blockCols}]");
        }
    }

    private static SortedDictionary<int, int[]> ReadConfig(string folder, ModelConfig baseModel)
    {
        var path = Path.Combine(folder, ConfigFileName);
        if (!File.Exists(path))
        {
            throw new CheckpointException($"the fine-tune has no {ConfigFileName}");
        }

        var result = new SortedDictionary<int, int[]>();
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException($"{ConfigFileName} must be a JSON object");
            }

            if (root.TryGetProperty("shared_experts", out var shared) && shared.ValueKind == JsonValueKind.True)
            {
                throw new CheckpointException($"{ConfigFileName}: fine-tunes that change the shared experts are not supported; only routed experts can be replaced (shared_experts must be false)");
            }

            if (root.TryGetProperty("non_expert_modules", out var other) && other.ValueKind == JsonValueKind.True)
            {
                throw new CheckpointException($"{ConfigFileName}: fine-tunes that change non-expert modules (attention, norms, router, embeddings) are not supported; only routed experts can be replaced (non_expert_modules must be false)");
            }

            if (!root.TryGetProperty("experts", out var experts) || experts.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException($"{ConfigFileName} needs an \"experts\" object mapping layer numbers to expert ids");
            }

            foreach (var layerEntry in experts.EnumerateObject())
            {
                if (!int.TryParse(layerEntry.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var layer)
                    || layer >= baseModel.NumHiddenLayers || !baseModel.IsMoeLayer(layer))
                {
                    throw new CheckpointException($"{ConfigFileName}: layer '{layerEntry.Name}' is not a MoE layer of the base model (it has {baseModel.NumHiddenLayers} layers, MoE from {baseModel.FirstKDenseReplace})");
                }

                if (layerEntry.Value.ValueKind != JsonValueKind.Array)
                {
                    throw new CheckpointException($"{ConfigFileName}: layer {layer} must list expert ids as an array");
                }

                var ids = new SortedSet<int>();
                foreach (var id in layerEntry.Value.EnumerateArray())
                {
                    if (!id.TryGetInt32(out var expert) || expert < 0 || expert >= baseModel.NRoutedExperts)
                    {
                        throw new CheckpointException($"{ConfigFileName}: layer {layer} lists expert {id.GetRawText()}; the base model's routed experts are 0..{baseModel.NRoutedExperts - 1}");
                    }

                    if (!ids.Add(expert))
                    {
                        throw new CheckpointException($"{ConfigFileName}: layer {layer} lists expert {expert} twice");
                    }
                }

                if (ids.Count > 0 && !result.TryAdd(layer, [.. ids]))
                {
                    throw new CheckpointException($"{ConfigFileName}: layer {layer} is listed twice");
                }
            }
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{ConfigFileName} is not valid JSON: {e.Message}", e);
        }

        if (result.Count == 0)
        {
            throw new CheckpointException($"{ConfigFileName} lists no experts");
        }

        return result;
    }
}
