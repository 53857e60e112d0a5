namespace Maas.Api.Gateway;

/// <summary>Who is calling, as signed by the gateway. The only source of tenant and key ids.</summary>
public sealed record GatewayIdentity(string TenantId, string KeyId, string RequestId);
