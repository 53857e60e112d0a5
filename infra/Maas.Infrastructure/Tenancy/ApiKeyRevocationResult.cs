using Maas.Infrastructure.Persistence;

namespace Maas.Infrastructure.Tenancy;

/// <summary>
/// A revocation as <see cref="ApiKeyRevoker"/> did it: the key is revoked in PostgreSQL either way;
/// <see cref="AnnouncementError"/> says why gateways were not told at once (they drop the key when their cache entry expires).
/// </summary>
public sealed record ApiKeyRevocationResult(ApiKey Key, bool WasActive, string Channel, long Receivers, string? AnnouncementError)
{
    public bool Announced => AnnouncementError is null;
}
