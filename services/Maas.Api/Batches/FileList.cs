namespace Maas.Api.Batches;

/// <summary>GET /v1/files.</summary>
public sealed record FileList(IReadOnlyList<OpenAiFile> Data)
{
    public string Object => "list";
}
