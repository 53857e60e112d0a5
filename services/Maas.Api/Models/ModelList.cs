namespace Maas.Api.Models;

/// <summary>OpenAI "list" of models.</summary>
public sealed record ModelList(IReadOnlyList<ModelCard> Data)
{
    public string Object => "list";
}
