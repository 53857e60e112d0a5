namespace Maas.Grains.Inference.Models;

/// <summary>What a worker silo may load (configuration section "Maas:ModelHosting").</summary>
public sealed class ModelHostingOptions
{
    public const string SectionName = "Maas:ModelHosting";

    /// <summary>
    /// Whether a model that is only an enabled row of the PostgreSQL models table (not in this worker's Maas:Models)
    /// is loaded on its first request. Off by default: a tenant request naming any enabled model must not make a worker
    /// spend minutes and gigabytes loading it; operators list the models each worker serves.
    /// </summary>
    public bool AllowOnDemandLoads { get; set; }
}
