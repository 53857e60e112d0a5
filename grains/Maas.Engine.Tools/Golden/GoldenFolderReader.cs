using System.Runtime.InteropServices;
using System.Text.Json;

namespace Maas.Engine.Tools.Golden;

/// <summary>
/// Reads the golden format (shared/golden/README.md): cases.json, caseK.f32 (little-endian f32 [seq, vocab]) and
/// tolerance.json. `maas check-golden` and the engine tests read fixtures through it.
/// </summary>
public static class GoldenFolderReader
{
    public static IReadOnlyList<GoldenCase> ReadCases(string folder)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "cases.json")));
        var cases = new List<GoldenCase>();
        foreach (JsonElement entry in document.RootElement.EnumerateArray())
        {
            int[] tokens = entry.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray();
            string file = entry.GetProperty("logits_file").GetString()!;
            int rows = entry.GetProperty("shape")[0].GetInt32();
            int vocab = entry.GetProperty("shape")[1].GetInt32();
            float[] logits = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(folder, file))).ToArray();
            if (rows != tokens.Length || logits.Length != (long)rows * vocab)
            {
                throw new InvalidDataException($"{file}: expected [{tokens.Length}, {vocab}] floats, found {logits.Length}");
            }

            cases.Add(new GoldenCase(Path.GetFileNameWithoutExtension(file), tokens, logits, vocab));
        }

        return cases;
    }

    /// <summary>(max_abs, same_argmax); defaults 1e-4 and true when tolerance.json is absent.</summary>
    public static (double MaxAbs, bool SameArgmax) ReadTolerance(string folder)
    {
        string path = Path.Combine(folder, "tolerance.json");
        if (!File.Exists(path))
        {
            return (1e-4, true);
        }

        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement root = document.RootElement;
        double maxAbs = root.TryGetProperty("max_abs", out JsonElement m) ? m.GetDouble() : 1e-4;
        bool sameArgmax = !root.TryGetProperty("same_argmax", out JsonElement s) || s.GetBoolean();
        return (maxAbs, sameArgmax);
    }
}
