namespace Maas.Infrastructure.Persistence;

/// <summary>
/// A request a plant published over MQTT, keyed by tenant and the plant's request id (the idempotency key): the
/// request, and once generated the messages published on its response topic and the whole response (what
/// GET /plant/v1/responses/{requestId} returns). Rows older than the retention are deleted.
/// </summary>
public sealed class PlantResponse
{
    public required string TenantId { get; set; }

    public required string RequestId { get; set; }

    public required string KeyId { get; set; }

    /// <summary>chat or completion.</summary>
    public required string Kind { get; set; }

    public required string RequestBody { get; set; }

    /// <summary>in_progress or completed (an error response is completed too).</summary>
    public required string Status { get; set; }

    /// <summary>The response topic's messages in order (one, or stream chunks ending with the usage chunk).</summary>
    public string[] Messages { get; set; } = [];

    /// <summary>The whole response (completion object or OpenAI error) as JSON.</summary>
    public string? Response { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }
}
