namespace Maas.Infrastructure.Persistence;

/// <summary>A response owed to a persistent session until its client acknowledges the final message (QoS 1).</summary>
public sealed class PlantDelivery
{
    public required string ClientId { get; set; }

    public required string TenantId { get; set; }

    public required string RequestId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }

    /// <summary>
    /// The Maas.Plant process that handed the response to the broker's in-memory session of this client; null when it
    /// had none. Any other process replays the delivery from here when the client subscribes again.
    /// </summary>
    public Guid? QueuedBy { get; set; }
}
