namespace Maas.Api.FineTunes;

/// <summary>OpenAI's deletion answer.</summary>
public sealed record FineTuneDeleted(string Id, bool Deleted)
{
    public string Object => "fine_tune";
}
