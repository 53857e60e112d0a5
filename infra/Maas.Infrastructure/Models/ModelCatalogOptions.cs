namespace Maas.Infrastructure.Models;

/// <summary>The models this deployment serves, bound from "Maas:Models" (a list of <typeparamref name="TModel"/>).</summary>
public sealed class ModelCatalogOptions<TModel>
    where TModel : ServedModelOptions
{
    /// <summary>Bound from the "Maas" section so the list lives at "Maas:Models:{i}".</summary>
    public const string SectionName = "Maas";

    public List<TModel> Models { get; set; } = [];

    public TModel? Find(string id)
    {
        foreach (var model in Models)
        {
            if (string.Equals(model.Id, id, StringComparison.Ordinal))
            {
                return model;
            }
        }

        return null;
    }
}
