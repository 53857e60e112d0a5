using Maas.Grains.Abstractions.Tenancy;
using Maas.Grains.Tests.Support;
using Maas.Infrastructure.Persistence;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;

namespace Maas.Grains.Tests;

/// <summary>
/// The tenant grain on a real silo with real PostgreSQL: admission, release, lease expiry and renewal, policy refresh.
/// Lease and refresh times pass on the cluster's fake clock, never by waiting.
/// </summary>
[Collection(SiloClusterCollection.Name)]
public sealed class TenantGrainTests(SiloClusterFixture fixture)
{
    [Fact]
    public async Task Policy_is_loaded_from_the_tenants_table()
    {
        var policy = await fixture.Client.GetGrain<ITenantGrain>(SeededTenants.A).GetPolicyAsync();

        Assert.True(policy.Exists);
        Assert.False(policy.Disabled);
        Assert.Equal([SeededTenants.ModelA], policy.AllowedModels);
        Assert.Equal(4, policy.MaxConcurrentRequests);
    }

    [Fact]
    public async Task The_scheduling_weight_comes_from_the_tenants_plan_and_goes_with_each_admission()
    {
        var premium = fixture.Client.GetGrain<ITenantGrain>(SeededTenants.B);
        var standard = fixture.Client.GetGrain<ITenantGrain>(SeededTenants.A);

        var admitted = await premium.AdmitAsync(new AdmissionRequest("weighted", "key-b", SeededTenants.ModelB, MaxTokens: 16, PromptTokens: 16));
        await premium.ReleaseAsync("weighted", SettledUsage.None);

        Assert.True(admitted.Allowed);
        Assert.Equal(3, admitted.SchedulingWeight);
        Assert.Equal(3, (await premium.GetPolicyAsync()).SchedulingWeight);
        Assert.Equal(1, (await standard.GetPolicyAsync()).SchedulingWeight);
    }

    [Fact]
    public async Task Admitting_the_same_request_id_twice_holds_one_slot()
    {
        var tenant = fixture.Client.GetGrain<ITenantGrain>(SeededTenants.Single);
        try
        {
            Assert.True((await tenant.AdmitAsync(Request("twice"))).Allowed);
            Assert.True((await tenant.AdmitAsync(Request("twice"))).Allowed);
            Assert.Equal(1, await tenant.GetActiveRequestsAsync());
        }
        finally
        {
            await tenant.ReleaseAsync("twice", SettledUsage.None);
        }
    }

    [Fact]
    public async Task Released_slot_admits_the_next_request()
    {
        var tenant = fixture.Client.GetGrain<ITenantGrain>(SeededTenants.Single);
        Assert.True((await tenant.AdmitAsync(Request("first"))).Allowed);
        var refused = await tenant.AdmitAsync(Request("second"));
        await tenant.ReleaseAsync("first", SettledUsage.None);
        var admitted = await tenant.AdmitAsync(Request("second"));
        await tenant.ReleaseAsync("second", SettledUsage.None);

        Assert.Equal(AdmissionError.TooManyConcurrentRequests, refused.Error);
        Assert.True(refused.RetryAfterSeconds >= 1);
        Assert.True(admitted.Allowed);
    }

    [Fact]
    public async Task Unreleased_slot_expires_after_the_lease_so_a_crashed_caller_cannot_leak_it()
    {
        var tenant = fixture.Client.GetGrain<ITenantGrain>(SeededTenants.Single);
        var admitted = await tenant.AdmitAsync(Request("crashed"));
        Assert.True(admitted.Allowed);
        Assert.Equal(SiloClusterFixture.LeaseDuration, admitted.LeaseDuration);
        Assert.False((await tenant.AdmitAsync(Request("blocked"))).Allowed);

        fixture.Clock.Advance(SiloClusterFixture.LeaseDuration - TimeSpan.FromSeconds(1));
        var heldJustBeforeExpiry = await tenant.GetActiveRequestsAsync();
        fixture.Clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(1, heldJustBeforeExpiry);
        Assert.Equal(0, await tenant.GetActiveRequestsAsync());
        Assert.True((await tenant.AdmitAsync(Request("after-expiry"))).Allowed);
        await tenant.ReleaseAsync("after-expiry", SettledUsage.None);
    }

    [Fact]
    public async Task Renewed_lease_outlives_its_original_expiry_and_then_expires_a_lease_after_the_renewal()
    {
        var tenant = fixture.Client.GetGrain<ITenantGrain>(SeededTenants.Single);
        var third = SiloClusterFixture.LeaseDuration / 3;
        Assert.True((await tenant.AdmitAsync(Request("renewed"))).Allowed);
        try
        {
            fixture.Clock.Advance(2 * third);
            Assert.True(await tenant.RenewAsync("renewed"));
            fixture.Clock.Advance(2 * third);

            // A third of a lease past the original expiry: still held.
            Assert.Equal(1, await tenant.GetActiveRequestsAsync());
            Assert.False((await tenant.AdmitAsync(Request("still-blocked"))).Allowed);

            fixture.Clock.Advance(third);
            Assert.Equal(0, await tenant.GetActiveRequestsAsync());
        }
        finally
        {
            await tenant.ReleaseAsync("renewed", SettledUsage.None);
        }
    }

    [Fact]
    public async Task Renewing_a_slot_that_is_not_held_fails()
    {
        Assert.False(await fixture.Client.GetGrain<ITenantGrain>(SeededTenants.Single).RenewAsync("never-admitted"));
    }

    [Fact]
    public async Task Renewing_an_expired_slot_fails()
    {
        var tenant = fixture.Client.GetGrain<ITenantGrain>(SeededTenants.Single);
        Assert.True((await tenant.AdmitAsync(Request("lapsed"))).Allowed);

        fixture.Clock.Advance(SiloClusterFixture.LeaseDuration);

        Assert.False(await tenant.RenewAsync("lapsed"));
        Assert.Equal(0, await tenant.GetActiveRequestsAsync());
    }

    [Fact]
    public async Task Policy_changes_in_postgres_apply_after_the_refresh_interval_and_not_before()
    {
        var tenantId = "tenant-refresh-" + Guid.NewGuid().ToString("N")[..8];
        await using (var db = fixture.Database.CreateContext())
        {
            db.Tenants.Add(new Tenant { Id = tenantId, Name = "Refresh", AllowedModels = [SeededTenants.ModelA] });
            await db.SaveChangesAsync();
        }

        var tenant = fixture.Client.GetGrain<ITenantGrain>(tenantId);
        var before = await tenant.AdmitAsync(new AdmissionRequest("refresh-1", "key", SeededTenants.ModelB, 1, 1));
        await using (var db = fixture.Database.CreateContext())
        {
            await db.Tenants.Where(t => t.Id == tenantId).ExecuteUpdateAsync(s => s.SetProperty(t => t.AllowedModels, new List<string> { SeededTenants.ModelB }));
        }

        // The clock has not moved: the grain still enforces the policy it loaded.
        var cached = await tenant.AdmitAsync(new AdmissionRequest("refresh-2", "key", SeededTenants.ModelB, 1, 1));
        fixture.Clock.Advance(SiloClusterFixture.PolicyRefreshInterval);

        // The refresh timer has fired; what remains is its PostgreSQL read, which takes real (short) time.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        AdmissionResult after;
        while (!(after = await tenant.AdmitAsync(new AdmissionRequest("refresh-3", "key", SeededTenants.ModelB, 1, 1))).Allowed && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(AdmissionError.ModelNotAllowed, before.Error);
        Assert.Equal(AdmissionError.ModelNotAllowed, cached.Error);
        Assert.True(after.Allowed, after.Message);
        await tenant.ReleaseAsync("refresh-3", SettledUsage.None);
    }

    [Fact]
    public async Task Unknown_tenant_is_refused()
    {
        var result = await fixture.Client.GetGrain<ITenantGrain>("no-such-tenant").AdmitAsync(Request("x"));

        Assert.Equal(AdmissionError.UnknownTenant, result.Error);
        Assert.False(result.Allowed);
    }

    private static AdmissionRequest Request(string requestId) => new(requestId, "key-1", SeededTenants.ModelA, 16, 4);
}
