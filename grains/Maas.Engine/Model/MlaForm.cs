namespace Maas.Engine.Model;

/// <summary>Which form of MLA attention a step's entries use (tests force one; the model chooses by cost).</summary>
internal enum MlaForm
{
    /// <summary>Per entry, whichever form the cost model says is cheaper (<see cref="DeepseekModel"/>).</summary>
    Auto,

    /// <summary>Queries absorbed into the latent space; reads only the cached latents (decode).</summary>
    Absorbed,

    /// <summary>K and V decompressed per head for the whole prefix (long prompt chunks).</summary>
    Expanded,
}
