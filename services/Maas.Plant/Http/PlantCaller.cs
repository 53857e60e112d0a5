namespace Maas.Plant.Http;

/// <summary>The tenant and key of a /plant/v1 request, from the gateway's verified headers.</summary>
public sealed record PlantCaller(string TenantId, string KeyId);
