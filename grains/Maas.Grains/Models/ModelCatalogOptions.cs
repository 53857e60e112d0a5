using Microsoft.Extensions.Options;

namespace Maas.Grains.Models;

/// <summary>The models this deployment serves, bound from "Maas:Models" (a list of <see cref="ModelEntryOptions"/>).</summary>
public sealed class ModelCatalogOptions
{
    /// <summary>Bound from the "Maas" section so the list lives at "Maas:Models:{i}".</summary>
    public const string SectionName = "Maas";

    public List<ModelEntryOptions> Models { get; set; } = [];

    public ModelEntryOptions? Find(string id) => Models.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.Ordinal));
}
