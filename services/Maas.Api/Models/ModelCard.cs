using Maas.Generation.Models;

namespace Maas.Api.Models;

/// <summary>OpenAI "model" object.</summary>
public sealed record ModelCard(string Id, long Created, string OwnedBy)
{
    public string Object => "model";

    public static ModelCard From(ServedModel model) => new(model.Id, model.Created, model.OwnedBy);
}
