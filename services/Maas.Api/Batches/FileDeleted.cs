namespace Maas.Api.Batches;

/// <summary>DELETE /v1/files/{id}.</summary>
public sealed record FileDeleted(string Id, bool Deleted)
{
    public string Object => "file";
}
