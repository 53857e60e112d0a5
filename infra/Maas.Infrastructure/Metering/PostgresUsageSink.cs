using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maas.Infrastructure.Metering;

/// <summary>
/// Durable metering (docs/architecture.md §5): <see cref="RecordAsync"/> queues the record and returns once it is
/// committed to PostgreSQL or, while PostgreSQL is unreachable, fsync'd to the local <see cref="UsageSpill"/>. A few
/// writer loops (<see cref="MeteringOptions.Writers"/>) each take whatever is queued, up to
/// <see cref="MeteringOptions.MaxBatchSize"/>, and commit it in one statement (group commit): at low load a record
/// gets its own commit at once, at high load many share one. A failed or timed-out commit is never taken as done: its
/// records go to the spill (and the replay is idempotent, should the commit have landed after all). After a failure,
/// batches go straight to the spill until <see cref="UsageSpillReplayer"/> has written to PostgreSQL again, so an
/// outage costs each request an fsync rather than a connection timeout.
/// </summary>
public sealed partial class PostgresUsageSink : IUsageSink, IHostedService, IAsyncDisposable
{
    private readonly Channel<PendingRecord> _queue;
    private readonly UsageEventWriter _writer;
    private readonly UsageSpill _spill;
    private readonly MeteringMetrics _metrics;
    private readonly MeteringOptions _options;
    private readonly ILogger<PostgresUsageSink> _logger;
    private Task[] _loops = [];
    private volatile bool _postgresDown;

    public PostgresUsageSink(UsageEventWriter writer, UsageSpill spill, MeteringMetrics metrics, IOptions<MeteringOptions> options, ILogger<PostgresUsageSink> logger)
    {
        _writer = writer;
        _spill = spill;
        _metrics = metrics;
        _options = options.Value;
        _logger = logger;
        _queue = Channel.CreateBounded<PendingRecord>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = _options.Writers == 1,
        });
    }

    /// <summary>True after a commit failed, until the replayer wrote to PostgreSQL again.</summary>
    public bool PostgresDown => _postgresDown;

    public async ValueTask RecordAsync(UsageRecord record, CancellationToken cancellationToken)
    {
        Validate(record);
        var started = Stopwatch.GetTimestamp();
        var pending = new PendingRecord(record);
        if (!_queue.Writer.TryWrite(pending))
        {
            try
            {
                await _queue.Writer.WriteAsync(pending, cancellationToken);
            }
            catch (ChannelClosedException)
            {
                // Stopping: nobody drains the queue any more, so the record goes to the spill directly.
                await _spill.AppendAsync([record], CancellationToken.None);
                return;
            }
        }

        await pending.Durable.Task.WaitAsync(cancellationToken);
        _metrics.RecordWait(Stopwatch.GetElapsedTime(started));
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loops = [.. Enumerable.Range(0, _options.Writers).Select(_ => Task.Run(WriteLoopAsync, CancellationToken.None))];
        return Task.CompletedTask;
    }

    /// <summary>Stops taking records and writes every queued one (to PostgreSQL or the spill) before returning.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loops).WaitAsync(cancellationToken);
    }

    /// <summary>Called by the replayer once PostgreSQL took records again.</summary>
    internal void PostgresReachable() => _postgresDown = false;

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loops);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingRecord>(_options.MaxBatchSize);
        var records = new List<UsageRecord>(_options.MaxBatchSize);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var pending))
            {
                batch.Add(pending);
                records.Add(pending.Record);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            await CommitAsync(batch, records);
            batch.Clear();
            records.Clear();
        }
    }

    private async Task CommitAsync(List<PendingRecord> batch, List<UsageRecord> records)
    {
        if (!_postgresDown)
        {
            using var timeout = new CancellationTokenSource(_options.CommitTimeout);
            try
            {
                await _writer.WriteAsync(records, timeout.Token);
                Complete(batch, null);
                return;
            }
            catch (Exception ex)
            {
                // Unreachable, timed out, or refused: nothing is assumed written. The spill keeps the records.
                _postgresDown = true;
                LogCommitFailed(_logger, ex, records.Count);
            }
        }

        try
        {
            await _spill.AppendAsync(records, CancellationToken.None);
            Complete(batch, null);
        }
        catch (Exception ex)
        {
            // Neither PostgreSQL nor the local disk took the records: their requests must not report success.
            LogSpillFailed(_logger, ex, records.Count, _spill.Directory);
            Complete(batch, ex);
        }
    }

    private static void Complete(List<PendingRecord> batch, Exception? failure)
    {
        foreach (var pending in batch)
        {
            if (failure is null)
            {
                pending.Durable.TrySetResult();
            }
            else
            {
                pending.Durable.TrySetException(new UsageNotRecordedException(pending.Record.RequestId, failure));
            }
        }
    }

    private static void Validate(UsageRecord record)
    {
        ArgumentException.ThrowIfNullOrEmpty(record.RequestId);
        ArgumentException.ThrowIfNullOrEmpty(record.TenantId);
        ArgumentException.ThrowIfNullOrEmpty(record.Model);
        ArgumentOutOfRangeException.ThrowIfNegative(record.PromptTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(record.CachedPromptTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(record.CompletionTokens);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Committing {Count} usage records to PostgreSQL failed; spilling them locally until it is back")]
    private static partial void LogCommitFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Critical, Message = "{Count} usage records could be written neither to PostgreSQL nor to the spill in {Directory}")]
    private static partial void LogSpillFailed(ILogger logger, Exception exception, int count, string directory);

    private sealed class PendingRecord(UsageRecord record)
    {
        public UsageRecord Record { get; } = record;

        public TaskCompletionSource Durable { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
