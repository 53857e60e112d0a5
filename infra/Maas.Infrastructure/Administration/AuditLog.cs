using System.Text.Json;
using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Maas.Infrastructure.Administration;

/// <summary>
/// Appends administrative actions (who, what, when, on what, state before and after as JSON) and reads them back,
/// newest first. The table is append-only (a trigger refuses updates and deletes).
/// </summary>
public sealed class AuditLog(MaasDbContext db, TimeProvider? time = null)
{
    public const int MaxLimit = 1000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<AuditEntry> AppendAsync(string actor, string action, string? tenantId, string target, object? before, object? after, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        var entry = new AuditEntry
        {
            At = Metering.UsageRecord.Microseconds(_time.GetUtcNow()),
            Actor = Truncate(actor, 200),
            Action = action,
            TenantId = tenantId,
            Target = Truncate(target, 200),
            Before = before is null ? null : JsonSerializer.Serialize(before, Json),
            After = after is null ? null : JsonSerializer.Serialize(after, Json),
        };
        db.AuditLog.Add(entry);
        await db.SaveChangesAsync(cancellationToken);
        return entry;
    }

    public async Task<IReadOnlyList<AuditEntry>> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        var rows = db.AuditLog.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(query.Actor))
        {
            var actor = query.Actor.Trim();
            rows = rows.Where(e => e.Actor.Contains(actor));
        }

        if (!string.IsNullOrWhiteSpace(query.Action))
        {
            rows = rows.Where(e => e.Action == query.Action);
        }

        if (!string.IsNullOrWhiteSpace(query.TenantId))
        {
            rows = rows.Where(e => e.TenantId == query.TenantId);
        }

        if (query.From is { } from)
        {
            rows = rows.Where(e => e.At >= from);
        }

        if (query.To is { } to)
        {
            rows = rows.Where(e => e.At < to);
        }

        return await rows.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Take(Math.Clamp(query.Limit, 1, MaxLimit)).ToListAsync(cancellationToken);
    }

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}
