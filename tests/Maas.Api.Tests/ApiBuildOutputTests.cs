using Maas.Api.Tests.Support;
using Maas.Testing;

namespace Maas.Api.Tests;

/// <summary>
/// The api tokenizes but never computes: its build output has no engine (docs/architecture.md §2). Read from the
/// deps.json of the api and of the worker this project builds, so the same reading that misses the engine in the api
/// must find it in the worker.
/// </summary>
public sealed class ApiBuildOutputTests
{
    [Fact]
    public void Api_build_output_lists_the_pipeline_and_tenancy_but_not_the_engine()
    {
        var api = DependencyManifest.Read("services", "Maas.Api");

        Assert.Contains("Maas.Api", api.Libraries);
        Assert.Contains("Maas.Generation", api.Libraries);
        Assert.Contains("Maas.Grains", api.Libraries);
        Assert.Contains("Maas.Tokenization", api.Libraries);
        Assert.Contains("Maas.Checkpoints", api.Libraries);
        Assert.DoesNotContain("Maas.Engine", api.Libraries);
        Assert.DoesNotContain("Maas.Engine.Tools", api.Libraries);
        Assert.DoesNotContain("Maas.Grains.Inference", api.Libraries);
    }

    [Fact]
    public void Api_build_folder_has_no_engine_assembly()
    {
        var folder = BuildOutput.Folder("services", "Maas.Api");

        Assert.True(File.Exists(Path.Combine(folder, "Maas.Generation.dll")), $"{folder} is not a built api");
        // A Maas.Engine.dll here that deps.json does not list is left over from an older build: `dotnet clean` removes it.
        Assert.False(File.Exists(Path.Combine(folder, "Maas.Engine.dll")), $"{folder} holds Maas.Engine.dll");
        Assert.False(File.Exists(Path.Combine(folder, "Maas.Grains.Inference.dll")), $"{folder} holds Maas.Grains.Inference.dll");
    }

    [Fact]
    public void Worker_build_output_does_list_the_engine_so_the_api_check_can_see_it()
    {
        var worker = DependencyManifest.Read("services", "Maas.Worker");

        Assert.Contains("Maas.Engine", worker.Libraries);
        Assert.Contains("Maas.Grains.Inference", worker.Libraries);
    }
}
