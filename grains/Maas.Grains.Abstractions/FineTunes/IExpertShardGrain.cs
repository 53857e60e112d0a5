namespace Maas.Grains.Abstractions.FineTunes;

/// <summary>
/// A tenant fine-tune version's replacement experts on one worker silo (key <see cref="ExpertShardKey"/>), placed on
/// that silo. It loads the experts once into the silo's expert registry, which the engine reads directly: no grain call
/// per layer or step. It unloads, returning the memory, after the configured idle time or when told to.
/// </summary>
[Alias("Maas.IExpertShardGrain")]
public interface IExpertShardGrain : IGrainWithStringKey
{
    /// <summary>Loads the fine-tune's experts for <paramref name="model"/>'s engine on this silo unless already loaded.</summary>
    [Alias("EnsureLoaded")]
    Task<ExpertShardStatus> EnsureLoadedAsync(FineTuneRef fineTune, string model);

    /// <summary>Unloads the experts (sequences already running finish with them) and deactivates.</summary>
    [Alias("Unload")]
    Task UnloadAsync();

    [Alias("GetStatus")]
    Task<ExpertShardStatus> GetStatusAsync();
}
