namespace Maas.Grains.Abstractions.Tenancy;

/// <summary>
/// One tenant's policy and admission (key: tenant id). Policy comes from PostgreSQL and is refreshed
/// periodically; concurrency slots are leased per request id so a crashed caller cannot hold them forever.
/// </summary>
[Alias("Maas.ITenantGrain")]
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>Admits a request or says why not. Admitting the same request id twice holds one slot.</summary>
    [Alias("Admit")]
    Task<AdmissionResult> AdmitAsync(AdmissionRequest request);

    /// <summary>Extends a held slot's lease (long generations renew while they run); false if the slot is not held.</summary>
    [Alias("Renew")]
    Task<bool> RenewAsync(string requestId);

    /// <summary>Frees the request's slot; unknown ids are ignored.</summary>
    [Alias("Release")]
    Task ReleaseAsync(string requestId);

    /// <summary>The policy as currently loaded (used to list the models a tenant may call).</summary>
    [Alias("GetPolicy")]
    Task<TenantPolicy> GetPolicyAsync();

    /// <summary>Requests holding a slot now (expired leases excluded).</summary>
    [Alias("GetActiveRequests")]
    Task<int> GetActiveRequestsAsync();
}
