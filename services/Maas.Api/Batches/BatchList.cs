using System.Text.Json.Serialization;

namespace Maas.Api.Batches;

/// <summary>GET /v1/batches: a page, newest first.</summary>
public sealed record BatchList(
    IReadOnlyList<BatchObject> Data,
    [property: JsonPropertyName("first_id")] string? FirstId,
    [property: JsonPropertyName("last_id")] string? LastId,
    [property: JsonPropertyName("has_more")] bool HasMore)
{
    public string Object => "list";
}
