using System.Runtime.InteropServices;
using System.Text.Json;
using Xunit;

namespace Maas.Engine.Tests.TestSupport;

/// <summary>One folder of tests/fixtures/golden: config + weights, cases with reference logits, tolerance.</summary>
internal sealed class GoldenFolder
{
    private GoldenFolder(string path, IReadOnlyList<GoldenCase> cases, double maxAbs, bool sameArgmax)
    {
        Path = path;
        Cases = cases;
        MaxAbs = maxAbs;
        SameArgmax = sameArgmax;
    }

    public string Path { get; }

    public string Name => System.IO.Path.GetFileName(Path);

    public IReadOnlyList<GoldenCase> Cases { get; }

    public double MaxAbs { get; }

    public bool SameArgmax { get; }

    public static string RepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir, "Maas.sln")))
        {
            dir = System.IO.Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("Maas.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The folder names of <see cref="All"/> as xunit theory data ([MemberData(nameof(GoldenFolder.Theories), MemberType = typeof(GoldenFolder))]).</summary>
    public static TheoryData<string> Theories()
    {
        var data = new TheoryData<string>();
        foreach (string folder in All())
        {
            data.Add(folder);
        }

        return data;
    }

    /// <summary>Every folder under tests/fixtures/golden that has a cases.json.</summary>
    public static IReadOnlyList<string> All()
    {
        string root = System.IO.Path.Combine(RepositoryRoot(), "tests", "fixtures", "golden");
        var folders = Directory.GetDirectories(root)
            .Where(d => File.Exists(System.IO.Path.Combine(d, "cases.json")))
            .Select(System.IO.Path.GetFileName)
            .Select(n => n!)
            .ToList();
        folders.Sort(StringComparer.Ordinal);
        return folders;
    }

    public static GoldenFolder Load(string name)
    {
        string path = System.IO.Path.Combine(RepositoryRoot(), "tests", "fixtures", "golden", name);
        using JsonDocument cases = JsonDocument.Parse(File.ReadAllText(System.IO.Path.Combine(path, "cases.json")));
        var list = new List<GoldenCase>();
        foreach (JsonElement c in cases.RootElement.EnumerateArray())
        {
            int[] tokens = c.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray();
            int rows = c.GetProperty("shape")[0].GetInt32();
            int vocab = c.GetProperty("shape")[1].GetInt32();
            byte[] bytes = File.ReadAllBytes(System.IO.Path.Combine(path, c.GetProperty("logits_file").GetString()!));
            float[] logits = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
            if (logits.Length != rows * vocab || rows != tokens.Length)
            {
                throw new InvalidDataException($"{name}: case logits do not match shape [{rows}, {vocab}]");
            }

            list.Add(new GoldenCase(tokens, logits, vocab));
        }

        double maxAbs = 1e-4;
        bool sameArgmax = true;
        string tolerance = System.IO.Path.Combine(path, "tolerance.json");
        if (File.Exists(tolerance))
        {
            using JsonDocument t = JsonDocument.Parse(File.ReadAllText(tolerance));
            maxAbs = t.RootElement.GetProperty("max_abs").GetDouble();
            sameArgmax = !t.RootElement.TryGetProperty("same_argmax", out JsonElement s) || s.GetBoolean();
        }

        return new GoldenFolder(path, list, maxAbs, sameArgmax);
    }
}
