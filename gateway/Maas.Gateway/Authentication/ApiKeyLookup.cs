namespace Maas.Gateway.Authentication;

/// <summary>Result of looking a secret hash up; <paramref name="Identity"/> is set unless the key is unknown.</summary>
public sealed record ApiKeyLookup(ApiKeyStatus Status, ApiKeyIdentity? Identity)
{
    public static ApiKeyLookup Unknown { get; } = new(ApiKeyStatus.Unknown, null);
}
