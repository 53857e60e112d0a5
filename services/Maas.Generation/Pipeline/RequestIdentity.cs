namespace Maas.Generation.Pipeline;

/// <summary>
/// Who is asking: the tenant, the key and the request id, as an entry point established them (the api from the
/// gateway's signed headers, the plant service from its own key check). Never read from a request body.
/// </summary>
public sealed record RequestIdentity(string TenantId, string KeyId, string RequestId);
