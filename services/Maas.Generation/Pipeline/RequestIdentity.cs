using Maas.Infrastructure.Metering;

namespace Maas.Generation.Pipeline;

/// <summary>
/// Who is asking: the tenant, the key and the request id, as an entry point established them (the api from the
/// gateway's signed headers, the plant service from its own key check). Never read from a request body. The source
/// says which entry point it was (batch usage is billed at the batch discount); request ids of plant and batch
/// requests are namespaced by their tenant, so they never collide with another tenant's.
/// </summary>
public sealed record RequestIdentity(string TenantId, string KeyId, string RequestId, UsageSource Source = UsageSource.Api);
