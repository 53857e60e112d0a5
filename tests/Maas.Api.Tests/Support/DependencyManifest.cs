using System.Text.Json;
using Maas.Testing;

namespace Maas.Api.Tests.Support;

/// <summary>
/// The libraries a built service loads, read from its build output's &lt;Project&gt;.deps.json (the manifest the runtime
/// resolves assemblies from): names without versions, e.g. "Maas.Grains", "Microsoft.Orleans.Runtime".
/// </summary>
public sealed class DependencyManifest
{
    private DependencyManifest(string path, IReadOnlySet<string> libraries)
    {
        Path = path;
        Libraries = libraries;
    }

    public string Path { get; }

    public IReadOnlySet<string> Libraries { get; }

    public static DependencyManifest Read(string folder, string project)
    {
        var path = System.IO.Path.Combine(BuildOutput.Folder(folder, project), project + ".deps.json");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Build {folder}/{project} ({BuildOutput.Configuration}) first: its deps.json is missing.", path);
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var libraries = document.RootElement.GetProperty("libraries").EnumerateObject()
            .Select(library => library.Name.Split('/')[0])
            .ToHashSet(StringComparer.Ordinal);
        return new DependencyManifest(path, libraries);
    }
}
