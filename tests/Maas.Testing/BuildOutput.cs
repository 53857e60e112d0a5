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
}
