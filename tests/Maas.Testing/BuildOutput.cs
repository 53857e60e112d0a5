using System.Diagnostics;

namespace Maas.Testing;

/// <summary>Where the projects that tests run as processes are built: the same configuration as the running tests.</summary>
public static class BuildOutput
{
    public static string Configuration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>e.g. ("services", "Maas.Worker") → services/Maas.Worker/bin/Release/net10.0.</summary>
    public static string Folder(string folder, string project) =>
        Path.Combine(TestEnvironment.RepositoryRoot, folder, project, "bin", Configuration, "net10.0");

    /// <summary>The built assembly <paramref name="assemblyName"/>.dll of a project; fails with what to build when it is missing.</summary>
    public static string Assembly(string folder, string project, string? assemblyName = null)
    {
        var dll = Path.Combine(Folder(folder, project), (assemblyName ?? project) + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build {folder}/{project} ({Configuration}) first.", dll);
    }

    /// <summary>`dotnet {dll}` in the dll's folder with redirected output and the given extra environment variables.</summary>
    public static ProcessStartInfo DotnetStartInfo(string dll, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return start;
    }
}
