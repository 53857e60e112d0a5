using System.Globalization;
using System.Text.Json;
using Maas.Checkpoints;
using Maas.Checkpoints.FineTunes;

namespace Maas.Engine.Tools.Checkpoints;

/// <summary>
/// Writes a random ESFT-format fine-tune of a base checkpoint for tests and benchmarks: expert_cfg.json and one
/// model.safetensors holding BF16 gate/up/down projections (N(0, 1/fan_in), as the random base) for the listed experts.
/// </summary>
public static class RandomFineTuneWriter
{
    /// <param name="keyPrefix">"model." (the base checkpoint's names) or "" (ESFT's names relative to the model).</param>
    public static FineTuneManifest Write(string baseFolder, IReadOnlyDictionary<int, int[]> experts, string outputFolder, int seed = 4321, string keyPrefix = "model.")
    {
        var config = ModelConfig.Load(baseFolder);
        Directory.CreateDirectory(outputFolder);
        var cfg = new Dictionary<string, object>
        {
            ["experts"] = experts.OrderBy(e => e.Key).ToDictionary(e => e.Key.ToString(CultureInfo.InvariantCulture), e => e.Value),
            ["shared_experts"] = false,
            ["non_expert_modules"] = false,
        };
        File.WriteAllText(Path.Combine(outputFolder, FineTuneManifest.ConfigFileName), JsonSerializer.Serialize(cfg, new JsonSerializerOptions { WriteIndented = true }));
        var normal = RandomCheckpointWriter.NormalTable(seed);
        var writer = new SafetensorsWriter();
        writer.Metadata["format"] = "pt";
        writer.Metadata["maas.random"] = $"fine-tune seed={seed}";
        var tensorSeed = seed;
        int hidden = config.HiddenSize, width = config.MoeIntermediateSize;
        foreach (var (layer, ids) in experts.OrderBy(e => e.Key))
        {
            foreach (var expert in ids.Order())
            {
                foreach (var projection in FineTuneManifest.Projections)
                {
                    var (rows, cols) = projection == "down_proj" ? (hidden, width) : (width, hidden);
                    var name = FineTuneManifest.TensorName(layer, expert, projection)["model.".Length..];
                    var s = ++tensorSeed;
                    var std = 1f / MathF.Sqrt(cols);
                    writer.Add(keyPrefix + name, "BF16", [rows, cols], span => RandomCheckpointWriter.FillBf16(span, normal, s, std, 0f));
                }
            }
        }

        writer.Write(Path.Combine(outputFolder, "model.safetensors"));
        return FineTuneManifest.Validate(outputFolder, config);
    }

    /// <summary>Parses "1:3,5;2:0,7" (layer:expert ids; layers separated by ';') into layer → expert ids.</summary>
    public static Dictionary<int, int[]> ParseExperts(string text)
    {
        var result = new Dictionary<int, int[]>();
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0
                || !int.TryParse(part.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var layer))
            {
                throw new FormatException($"'{part}' is not 'layer:expert,expert,...'");
            }

            var ids = part[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(id => int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var e) ? e : throw new FormatException($"'{id}' in '{part}' is not an expert id"))
                .ToArray();
            if (ids.Length == 0 || !result.TryAdd(layer, ids))
            {
                throw new FormatException($"layer {layer} lists no experts or appears twice");
            }
        }

        return result.Count > 0 ? result : throw new FormatException("no experts listed");
    }

    /// <summary>
    /// A spread of about <paramref name="fraction"/> of every MoE layer's routed experts (ESFT picks 5-15%), different
    /// per <paramref name="seed"/>: for benchmarks of many fine-tunes.
    /// </summary>
    public static Dictionary<int, int[]> SpreadExperts(ModelConfig config, double fraction, int seed)
    {
        var random = new Random(seed);
        var perLayer = Math.Max(1, (int)Math.Round(config.NRoutedExperts * fraction));
        var result = new Dictionary<int, int[]>();
        for (var layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            if (config.IsMoeLayer(layer))
            {
                result[layer] = [.. Enumerable.Range(0, config.NRoutedExperts).OrderBy(_ => random.Next()).Take(perLayer).Order()];
            }
        }

        return result;
    }
}
