namespace Maas.Plant.Mqtt;

/// <summary>
/// Who an MQTT connection is, from its key check at CONNECT (kept in the session's items): tenant, key, their request
/// rates, and whether it asked for a persistent session (clean start false).
/// </summary>
public sealed record PlantClient(string ClientId, string TenantId, Guid KeyId, int KeyRequestsPerMinute, int TenantRequestsPerMinute, bool Persistent)
{
    public const string SessionItemKey = "maas.plant.client";
}
