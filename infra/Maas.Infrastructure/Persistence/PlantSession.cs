namespace Maas.Infrastructure.Persistence;

/// <summary>
/// A persistent MQTT session (clean start false): which tenant owns the client id and which topic filters it
/// subscribed, so responses published while it is away are kept for it, also across restarts of Maas.Plant.
/// </summary>
public sealed class PlantSession
{
    public required string ClientId { get; set; }

    public required string TenantId { get; set; }

    public string[] Filters { get; set; } = [];

    public DateTimeOffset UpdatedAt { get; set; }
}
