using Maas.Infrastructure.Administration;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Maas.Infrastructure.Tests.Administration;

public sealed class AuditLogTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 9, 0, 0, TimeSpan.Zero));
    private PostgresTestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PostgresTestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Entries_keep_who_what_when_and_the_state_before_and_after_as_json()
    {
        await using var db = _database.CreateContext();
        await new AuditLog(db, _time).AppendAsync("admin:alice", AuditActions.BudgetSet, "acme", "acme", new { monthlyBudget = 100m }, new { monthlyBudget = (decimal?)null }, CancellationToken.None);
        var entry = Assert.Single(await new AuditLog(db, _time).QueryAsync(new AuditQuery(), CancellationToken.None));
        Assert.Equal(("admin:alice", AuditActions.BudgetSet, "acme", "acme"), (entry.Actor, entry.Action, entry.TenantId, entry.Target));
        Assert.Equal(_time.GetUtcNow(), entry.At);
        Assert.Equal("{\"monthlyBudget\": 100}", entry.Before);
        Assert.Equal("{\"monthlyBudget\": null}", entry.After);
    }

    [Fact]
    public async Task Queries_filter_by_actor_action_tenant_and_time_newest_first()
    {
        await using var db = _database.CreateContext();
        var log = new AuditLog(db, _time);
        await log.AppendAsync("admin:alice", AuditActions.KeyCreate, "acme", "k1", null, new { }, CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(1));
        await log.AppendAsync("admin:bob", AuditActions.KeyRevoke, "acme", "k1", new { }, new { }, CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(1));
        await log.AppendAsync("oidc:carol@example.com", AuditActions.KeyCreate, "globex", "k2", null, new { }, CancellationToken.None);

        Assert.Equal(["k2", "k1", "k1"], (await log.QueryAsync(new AuditQuery(), CancellationToken.None)).Select(e => e.Target));
        Assert.Equal(["admin:bob"], (await log.QueryAsync(new AuditQuery(Actor: "bob"), CancellationToken.None)).Select(e => e.Actor));
        Assert.Equal(["globex", "acme"], (await log.QueryAsync(new AuditQuery(Action: AuditActions.KeyCreate), CancellationToken.None)).Select(e => e.TenantId));
        Assert.Equal(2, (await log.QueryAsync(new AuditQuery(TenantId: "acme"), CancellationToken.None)).Count);
        var start = _time.GetUtcNow().AddHours(-1);
        Assert.Equal(["k1"], (await log.QueryAsync(new AuditQuery(From: start, To: start.AddMinutes(1)), CancellationToken.None)).Select(e => e.Target));
    }

    [Fact]
    public async Task The_table_refuses_updates_and_deletes()
    {
        await using var db = _database.CreateContext();
        await new AuditLog(db, _time).AppendAsync("admin:alice", AuditActions.PriceAdd, null, "model-a", null, new { }, CancellationToken.None);
        var update = await Assert.ThrowsAsync<PostgresException>(() => db.AuditLog.ExecuteUpdateAsync(s => s.SetProperty(e => e.Actor, "someone-else")));
        Assert.Contains("append-only", update.MessageText, StringComparison.Ordinal);
        await Assert.ThrowsAsync<PostgresException>(() => db.AuditLog.ExecuteDeleteAsync());
        Assert.Equal("admin:alice", (await db.AuditLog.AsNoTracking().SingleAsync()).Actor);
    }
}
