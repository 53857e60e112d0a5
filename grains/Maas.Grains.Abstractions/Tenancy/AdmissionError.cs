namespace Maas.Grains.Abstractions.Tenancy;

/// <summary>Why admission was refused; the api maps each to an HTTP status.</summary>
[GenerateSerializer, Alias("Maas.AdmissionError")]
public enum AdmissionError
{
    None = 0,

    /// <summary>No such tenant in the database (403).</summary>
    UnknownTenant = 1,

    /// <summary>The tenant is disabled (403).</summary>
    TenantDisabled = 2,

    /// <summary>The model is not in the tenant's allowed list (403).</summary>
    ModelNotAllowed = 3,

    /// <summary>The tenant already runs its maximum of concurrent requests (429).</summary>
    TooManyConcurrentRequests = 4,

    /// <summary>The request's worst-case cost does not fit in the tenant's or the key's monthly budget (429 insufficient_quota).</summary>
    InsufficientQuota = 5,

    /// <summary>The model has no price in effect: a configuration error, never served at a silent zero (503).</summary>
    ModelNotPriced = 6,
}
