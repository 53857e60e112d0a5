using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Maas.Plant.Responses;

/// <summary>
/// The plant service's PostgreSQL state: requests claimed by (tenant, request id) so a duplicate publish is generated
/// once, their stored responses, the persistent sessions (client id → tenant and topic filters) and the deliveries
/// owed to them until acknowledged.
/// </summary>
public sealed class PlantResponseStore(IDbContextFactory<MaasDbContext> contexts, TimeProvider time)
{
    public const string InProgress = "in_progress";
    public const string Completed = "completed";

    /// <summary>
    /// Claims the request id for this request; false with the existing row when it was claimed before. The claim's time
    /// (whole microseconds, as PostgreSQL keeps it) is the request's arrival in its usage record, also when a restarted
    /// process generates it again, so the record's key is the same and it is stored once.
    /// </summary>
    public async Task<(bool Claimed, PlantResponse? Existing, DateTimeOffset ClaimedAt)> ClaimAsync(string tenantId, string requestId, Guid keyId, string kind, string body, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
        var key = keyId.ToString("D");
        var inserted = await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            INSERT INTO plant_responses (tenant_id, request_id, key_id, kind, request_body, status, messages, created_at)
            VALUES ({tenantId}, {requestId}, {key}, {kind}, {body}, {InProgress}, ARRAY[]::text[], {now})
            ON CONFLICT (tenant_id, request_id) DO NOTHING
            """, cancellationToken);
        if (inserted == 1)
        {
            return (true, null, now);
        }

        var existing = await db.PlantResponses.AsNoTracking().SingleAsync(r => r.TenantId == tenantId && r.RequestId == requestId, cancellationToken);
        return (false, existing, existing.CreatedAt);
    }

    /// <summary>Gives a claimed request id back (its generation could not start for now), so a retry runs it.</summary>
    public async Task ReleaseClaimAsync(string tenantId, string requestId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.PlantResponses.Where(r => r.TenantId == tenantId && r.RequestId == requestId && r.Status == InProgress).ExecuteDeleteAsync(cancellationToken);
    }

    public async Task<PlantResponse?> GetAsync(string tenantId, string requestId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.PlantResponses.AsNoTracking().SingleOrDefaultAsync(r => r.TenantId == tenantId && r.RequestId == requestId, cancellationToken);
    }

    /// <summary>Requests claimed but never completed (the process stopped while generating them).</summary>
    public async Task<IReadOnlyList<PlantResponse>> UnfinishedAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.PlantResponses.AsNoTracking().Where(r => r.Status == InProgress).OrderBy(r => r.CreatedAt).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Stores the response and, in the same transaction, a delivery for every persistent session given (those whose
    /// filters match the response topic), so a session that is away gets it later.
    /// </summary>
    public async Task CompleteAsync(string tenantId, string requestId, IReadOnlyList<string> messages, string response, IReadOnlyList<PlantDelivery> deliveries, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var row = await db.PlantResponses.SingleAsync(r => r.TenantId == tenantId && r.RequestId == requestId, cancellationToken);
        row.Status = Completed;
        row.Messages = [.. messages];
        row.Response = response;
        row.CompletedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        foreach (var delivery in deliveries)
        {
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"""
                INSERT INTO plant_deliveries (client_id, tenant_id, request_id, created_at, queued_by)
                VALUES ({delivery.ClientId}, {delivery.TenantId}, {delivery.RequestId}, {delivery.CreatedAt}, {delivery.QueuedBy})
                ON CONFLICT (client_id, tenant_id, request_id) DO UPDATE SET delivered_at = NULL, queued_by = excluded.queued_by
                """, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Responses owed to a client and not handed to the broker's memory by <paramref name="instance"/>, oldest first.</summary>
    public async Task<IReadOnlyList<PlantResponse>> PendingAsync(string clientId, string tenantId, Guid instance, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await (
            from d in db.PlantDeliveries
            join r in db.PlantResponses on new { d.TenantId, d.RequestId } equals new { r.TenantId, r.RequestId }
            where d.ClientId == clientId && d.TenantId == tenantId && d.DeliveredAt == null && (d.QueuedBy == null || d.QueuedBy != instance)
            orderby r.CompletedAt
            select r).AsNoTracking().ToListAsync(cancellationToken);
    }

    public async Task MarkDeliveredAsync(string clientId, string tenantId, string requestId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        await db.PlantDeliveries
            .Where(d => d.ClientId == clientId && d.TenantId == tenantId && d.RequestId == requestId && d.DeliveredAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.DeliveredAt, now), cancellationToken);
    }

    /// <summary>The tenant owning a persistent session's client id, or null.</summary>
    public async Task<string?> SessionOwnerAsync(string clientId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.PlantSessions.AsNoTracking().Where(s => s.ClientId == clientId).Select(s => s.TenantId).SingleOrDefaultAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<PlantSession>> SessionsAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.PlantSessions.AsNoTracking().Where(s => s.TenantId == tenantId).ToListAsync(cancellationToken);
    }

    /// <summary>Remembers a persistent session's subscription (idempotent).</summary>
    public async Task AddSubscriptionAsync(string clientId, string tenantId, string filter, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        string[] filters = [filter];
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            INSERT INTO plant_sessions (client_id, tenant_id, filters, updated_at) VALUES ({clientId}, {tenantId}, {filters}, {now})
            ON CONFLICT (client_id) DO UPDATE SET
                filters = CASE WHEN {filter} = ANY (plant_sessions.filters) THEN plant_sessions.filters ELSE array_append(plant_sessions.filters, {filter}) END,
                updated_at = excluded.updated_at
            WHERE plant_sessions.tenant_id = excluded.tenant_id
            """, cancellationToken);
    }

    public async Task RemoveSubscriptionAsync(string clientId, string filter, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"UPDATE plant_sessions SET filters = array_remove(filters, {filter}) WHERE client_id = {clientId}", cancellationToken);
    }

    /// <summary>A clean start ends the session: its subscriptions and whatever was still owed to it.</summary>
    public async Task EndSessionAsync(string clientId, string tenantId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.PlantDeliveries.Where(d => d.ClientId == clientId && d.TenantId == tenantId).ExecuteDeleteAsync(cancellationToken);
        await db.PlantSessions.Where(s => s.ClientId == clientId && s.TenantId == tenantId).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>Deletes responses, deliveries and idle sessions older than the retention; returns the responses deleted.</summary>
    public async Task<int> PurgeAsync(TimeSpan retention, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var cutoff = time.GetUtcNow() - retention;
        await db.PlantDeliveries.Where(d => d.CreatedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
        await db.PlantSessions.Where(s => s.UpdatedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
        return await db.PlantResponses.Where(r => r.CreatedAt < cutoff && r.Status == Completed).ExecuteDeleteAsync(cancellationToken);
    }
}
