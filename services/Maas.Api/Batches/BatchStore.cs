using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Maas.Api.Batches;

/// <summary>
/// Files, batches and batch lines in PostgreSQL, always read and written with the tenant in the condition, so a tenant
/// never sees another's file or batch (to the caller, another tenant's id does not exist).
/// </summary>
public sealed class BatchStore(IDbContextFactory<MaasDbContext> contexts, TimeProvider time)
{
    public async Task<BatchFile> AddFileAsync(string tenantId, string purpose, string filename, byte[] content, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var file = new BatchFile
        {
            Id = "file-" + Guid.NewGuid().ToString("N"),
            TenantId = tenantId,
            Purpose = purpose,
            Filename = filename,
            Bytes = content.Length,
            Content = content,
            CreatedAt = time.GetUtcNow(),
        };
        db.BatchFiles.Add(file);
        await db.SaveChangesAsync(cancellationToken);
        return file;
    }

    /// <summary>A tenant's file without its content.</summary>
    public async Task<BatchFile?> FindFileAsync(string tenantId, string fileId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.BatchFiles.AsNoTracking().Where(f => f.Id == fileId && f.TenantId == tenantId)
            .Select(f => new BatchFile { Id = f.Id, TenantId = f.TenantId, Purpose = f.Purpose, Filename = f.Filename, Bytes = f.Bytes, Content = Array.Empty<byte>(), CreatedAt = f.CreatedAt })
            .SingleOrDefaultAsync(cancellationToken);
    }

    public async Task<byte[]?> FileContentAsync(string tenantId, string fileId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.BatchFiles.AsNoTracking().Where(f => f.Id == fileId && f.TenantId == tenantId).Select(f => f.Content).SingleOrDefaultAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<BatchFile>> ListFilesAsync(string tenantId, string? purpose, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.BatchFiles.AsNoTracking().Where(f => f.TenantId == tenantId && (purpose == null || f.Purpose == purpose))
            .OrderByDescending(f => f.CreatedAt)
            .Select(f => new BatchFile { Id = f.Id, TenantId = f.TenantId, Purpose = f.Purpose, Filename = f.Filename, Bytes = f.Bytes, Content = Array.Empty<byte>(), CreatedAt = f.CreatedAt })
            .Take(10_000)
            .ToListAsync(cancellationToken);
    }

    public async Task<bool> DeleteFileAsync(string tenantId, string fileId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.BatchFiles.Where(f => f.Id == fileId && f.TenantId == tenantId).ExecuteDeleteAsync(cancellationToken) == 1;
    }

    public async Task AddBatchAsync(BatchJob job, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.BatchJobs.Add(job);
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The batch; with <paramref name="tenantId"/> null only for the batch-job grain, which owns it.</summary>
    public async Task<BatchJob?> FindBatchAsync(string? tenantId, string batchId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.BatchJobs.AsNoTracking().SingleOrDefaultAsync(b => b.Id == batchId && (tenantId == null || b.TenantId == tenantId), cancellationToken);
    }

    /// <summary>A page of the tenant's batches, newest first, after the batch <paramref name="after"/> when given.</summary>
    public async Task<IReadOnlyList<BatchJob>> ListBatchesAsync(string tenantId, string? after, int limit, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.BatchJobs.AsNoTracking().Where(b => b.TenantId == tenantId);
        if (after is not null && await db.BatchJobs.AsNoTracking().Where(b => b.Id == after && b.TenantId == tenantId).Select(b => (DateTimeOffset?)b.CreatedAt).SingleOrDefaultAsync(cancellationToken) is { } afterCreated)
        {
            query = query.Where(b => b.CreatedAt < afterCreated || (b.CreatedAt == afterCreated && string.Compare(b.Id, after) < 0));
        }

        return await query.OrderByDescending(b => b.CreatedAt).ThenByDescending(b => b.Id).Take(limit).ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<string>> UnfinishedBatchIdsAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.BatchJobs.AsNoTracking().Where(b => BatchStatuses.Unfinished.Contains(b.Status)).OrderBy(b => b.CreatedAt).Select(b => b.Id).ToListAsync(cancellationToken);
    }

    /// <summary>Moves a batch from one of <paramref name="from"/> to <paramref name="to"/>, stamping its time; false when it was elsewhere.</summary>
    public async Task<bool> TransitionAsync(string batchId, string[] from, string to, CancellationToken cancellationToken, Action<BatchJob>? change = null)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var job = await db.BatchJobs.SingleOrDefaultAsync(b => b.Id == batchId, cancellationToken);
        if (job is null || !from.Contains(job.Status))
        {
            return false;
        }

        var now = time.GetUtcNow();
        job.Status = to;
        switch (to)
        {
            case BatchStatuses.InProgress: job.InProgressAt ??= now; break;
            case BatchStatuses.Finalizing: job.FinalizingAt ??= now; break;
            case BatchStatuses.Completed: job.CompletedAt ??= now; break;
            case BatchStatuses.Failed: job.FailedAt ??= now; break;
            case BatchStatuses.Expired: job.ExpiredAt ??= now; break;
            case BatchStatuses.Cancelling: job.CancellingAt ??= now; break;
            case BatchStatuses.Cancelled: job.CancelledAt ??= now; break;
        }

        change?.Invoke(job);
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>Stores the parsed lines and the total (idempotent: a re-run of validation replaces nothing already stored).</summary>
    public async Task AddLinesAsync(string batchId, IReadOnlyList<BatchLine> lines, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await db.BatchLines.AnyAsync(l => l.BatchId == batchId, cancellationToken))
        {
            db.BatchLines.AddRange(lines);
            await db.SaveChangesAsync(cancellationToken);
        }

        await db.BatchJobs.Where(b => b.Id == batchId).ExecuteUpdateAsync(s => s.SetProperty(b => b.Total, lines.Count), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<BatchLine>> PendingLinesAsync(string batchId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.BatchLines.AsNoTracking().Where(l => l.BatchId == batchId && l.Status == BatchLineStatuses.Pending).OrderBy(l => l.LineIndex).ToListAsync(cancellationToken);
    }

    /// <summary>Fixes a line's arrival before its first attempt (a re-run keeps it, so its usage record dedupes).</summary>
    public async Task<DateTimeOffset> ArrivalAsync(BatchLine line, CancellationToken cancellationToken)
    {
        if (line.ReceivedAt is { } known)
        {
            return known;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        await db.BatchLines.Where(l => l.BatchId == line.BatchId && l.LineIndex == line.LineIndex && l.ReceivedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.ReceivedAt, now), cancellationToken);
        return await db.BatchLines.AsNoTracking().Where(l => l.BatchId == line.BatchId && l.LineIndex == line.LineIndex).Select(l => l.ReceivedAt!.Value).SingleAsync(cancellationToken);
    }

    /// <summary>
    /// A new arrival for a line whose attempt was refused as busy: that attempt may have left a zero-token usage record
    /// (refused after admission) under the old arrival, and the attempt that runs must not be deduplicated against it.
    /// </summary>
    public async Task<DateTimeOffset> RenewArrivalAsync(BatchLine line, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        await db.BatchLines.Where(l => l.BatchId == line.BatchId && l.LineIndex == line.LineIndex)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.ReceivedAt, now), cancellationToken);
        return await db.BatchLines.AsNoTracking().Where(l => l.BatchId == line.BatchId && l.LineIndex == line.LineIndex).Select(l => l.ReceivedAt!.Value).SingleAsync(cancellationToken);
    }

    /// <summary>Writes a line's result and counts it, once: a line already finished is left as it is.</summary>
    public async Task FinishLineAsync(string batchId, int lineIndex, bool succeeded, string result, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var status = succeeded ? BatchLineStatuses.Completed : BatchLineStatuses.Failed;
        var now = time.GetUtcNow();
        var changed = await db.BatchLines.Where(l => l.BatchId == batchId && l.LineIndex == lineIndex && l.Status == BatchLineStatuses.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Status, status).SetProperty(l => l.Result, result).SetProperty(l => l.FinishedAt, now), cancellationToken);
        if (changed == 1)
        {
            await db.BatchJobs.Where(b => b.Id == batchId).ExecuteUpdateAsync(s =>
            {
                if (succeeded)
                {
                    s.SetProperty(b => b.Completed, b => b.Completed + 1);
                }
                else
                {
                    s.SetProperty(b => b.Failed, b => b.Failed + 1);
                }
            }, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The finished lines' results of one kind in input order, as a JSONL file's content.</summary>
    public async Task<byte[]> ResultFileAsync(string batchId, string status, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var results = await db.BatchLines.AsNoTracking().Where(l => l.BatchId == batchId && l.Status == status).OrderBy(l => l.LineIndex).Select(l => l.Result!).ToListAsync(cancellationToken);
        return System.Text.Encoding.UTF8.GetBytes(string.Concat(results.Select(r => r + "\n")));
    }
}
