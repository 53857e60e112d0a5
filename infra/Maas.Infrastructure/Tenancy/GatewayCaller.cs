namespace Maas.Infrastructure.Tenancy;

/// <summary>Who a verified gateway request is for: taken only from the gateway's signed headers.</summary>
public sealed record GatewayCaller(string TenantId, string KeyId, string RequestId);
