using System.Text.Json.Serialization;

namespace Maas.Api.Batches;

/// <summary>OpenAI's file object.</summary>
public sealed record OpenAiFile(
    string Id,
    long Bytes,
    [property: JsonPropertyName("created_at")] long CreatedAt,
    string Filename,
    string Purpose)
{
    public string Object => "file";

    public string Status => "processed";
}
