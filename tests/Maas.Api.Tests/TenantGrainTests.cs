using Maas.Api.Tests.Support;
using Maas.Grains.Abstractions.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Maas.Api.Tests;

/// <summary>The tenant grain on a real silo with real PostgreSQL: admission, release, lease expiry, policy refresh.</summary>
[Collection(SiloClusterCollection.Name)]
public sealed class TenantGrainTests(SiloClusterFixture fixture)
{
    [Fact]
    public async Task Policy_is_loaded_from_the_tenants_table()
    {
        var policy = await fixture.Client.GetGrain<ITenantGrain>(TestTenants.A).GetPolicyAsync();

        Assert.True(policy.Exists);
        Assert.False(policy.Disabled);
        Assert.Equal([TestTenants.ModelA], policy.AllowedModels);
        Assert.Equal(4, policy.MaxConcurrentRequests);
    }

    [Fact]
    public async Task Admitting_the_same_request_id_twice_holds_one_slot()
    {
        var tenant = fixture.Client.GetGrain<ITenantGrain>(TestTenants.Single);
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
        var tenant = fixture.Client.GetGrain<ITenantGrain>(TestTenants.Single);
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
        var tenant = fixture.Client.GetGrain<ITenantGrain>(TestTenants.Single);
        Assert.True((await tenant.AdmitAsync(Request("crashed"))).Allowed);
        Assert.False((await tenant.AdmitAsync(Request("blocked"))).Allowed);

        await Task.Delay(SiloClusterFixture.LeaseDuration + TimeSpan.FromMilliseconds(500));

        Assert.Equal(0, await tenant.GetActiveRequestsAsync());
        Assert.True((await tenant.AdmitAsync(Request("after-expiry"))).Allowed);
        await tenant.ReleaseAsync("after-expiry", SettledUsage.None);
    }

    [Fact]
    public async Task Renewed_lease_outlives_its_original_expiry()
    {
        var tenant = fixture.Client.GetGrain<ITenantGrain>(TestTenants.Single);
        var half = SiloClusterFixture.LeaseDuration / 2 + TimeSpan.FromMilliseconds(300);
        Assert.True((await tenant.AdmitAsync(Request("renewed"))).Allowed);
        try
        {
            await Task.Delay(half);
            Assert.True(await tenant.RenewAsync("renewed"));
            await Task.Delay(half);

            Assert.Equal(1, await tenant.GetActiveRequestsAsync());
            Assert.False((await tenant.AdmitAsync(Request("still-blocked"))).Allowed);
        }
        finally
        {
            await tenant.ReleaseAsync("renewed", SettledUsage.None);
        }
    }

    [Fact]
    public async Task Renewing_a_slot_that_is_not_held_fails()
    {
        Assert.False(await fixture.Client.GetGrain<ITenantGrain>(TestTenants.Single).RenewAsync("never-admitted"));
    }

    [Fact]
    public async Task Policy_changes_in_postgres_apply_after_the_refresh_interval()
    {
        const string tenantId = "tenant-refresh";
        await using (var db = fixture.Database.CreateContext())
        {
            db.Tenants.Add(new Maas.Infrastructure.Persistence.Tenant { Id = tenantId, Name = "Refresh", AllowedModels = [TestTenants.ModelA] });
            await db.SaveChangesAsync();
        }

        var tenant = fixture.Client.GetGrain<ITenantGrain>(tenantId);
        var before = await tenant.AdmitAsync(new AdmissionRequest("refresh-1", "key", TestTenants.ModelB, 1, 1));
        await using (var db = fixture.Database.CreateContext())
        {
            await db.Tenants.Where(t => t.Id == tenantId).ExecuteUpdateAsync(s => s.SetProperty(t => t.AllowedModels, new List<string> { TestTenants.ModelB }));
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        AdmissionResult after;
        while (!(after = await tenant.AdmitAsync(new AdmissionRequest("refresh-2", "key", TestTenants.ModelB, 1, 1))).Allowed && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Equal(AdmissionError.ModelNotAllowed, before.Error);
        Assert.True(after.Allowed);
        await tenant.ReleaseAsync("refresh-2", SettledUsage.None);
    }

    [Fact]
    public async Task Unknown_tenant_is_refused()
    {
        var result = await fixture.Client.GetGrain<ITenantGrain>("no-such-tenant").AdmitAsync(Request("x"));

        Assert.Equal(AdmissionError.UnknownTenant, result.Error);
        Assert.False(result.Allowed);
    }

    private static AdmissionRequest Request(string requestId) => new(requestId, "key-1", TestTenants.ModelA, 16, 4);
}
