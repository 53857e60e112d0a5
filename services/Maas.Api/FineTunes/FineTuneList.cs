namespace Maas.Api.FineTunes;

/// <summary>OpenAI-style "list" of the tenant's fine-tunes.</summary>
public sealed record FineTuneList(IReadOnlyList<FineTuneCard> Data)
{
    public string Object => "list";
}
