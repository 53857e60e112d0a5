using Maas.Infrastructure.Persistence;

namespace Maas.Infrastructure.Tenancy;

/// <summary>A key after revocation; <see cref="WasActive"/> is false when it had been revoked before (its first time kept).</summary>
public sealed record RevokedApiKey(ApiKey Key, bool WasActive);
