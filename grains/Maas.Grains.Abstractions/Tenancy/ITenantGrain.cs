namespace Maas.Grains.Abstractions.Tenancy;

/// <summary>
/// One tenant's policy and admission (key: tenant id). Policy comes from PostgreSQL and is refreshed
/// periodically; concurrency slots are leased per request id so a crashed caller cannot hold them forever.
/// Budgets: admission reserves a request's worst-case cost, release settles its real cost.
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

    /// <summary>Frees the request's slot and settles its budget reservation at the cost of what it consumed; unknown ids are ignored.</summary>
    [Alias("Release")]
    Task ReleaseAsync(string requestId, SettledUsage usage);

    /// <summary>The policy as currently loaded (used to list the models a tenant may call).</summary>
    [Alias("GetPolicy")]
    Task<TenantPolicy> GetPolicyAsync();

    /// <summary>This month's spend and budgets as the grain keeps them (loaded once on activation, kept current by settlements).</summary>
    [Alias("GetSpend")]
    Task<TenantSpend> GetSpendAsync();

    /// <summary>Requests holding a slot now (expired leases excluded).</summary>
    [Alias("GetActiveRequests")]
    Task<int> GetActiveRequestsAsync();
}
