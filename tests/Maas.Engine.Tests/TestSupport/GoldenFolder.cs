using Maas.Engine.Tools.Golden;
using Maas.Testing;
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
        string root = TestEnvironment.Fixture("golden");
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
        string path = TestEnvironment.Fixture("golden", name);
        (double maxAbs, bool sameArgmax) = GoldenFolderReader.ReadTolerance(path);
        return new GoldenFolder(path, GoldenFolderReader.ReadCases(path), maxAbs, sameArgmax);
    }
}
