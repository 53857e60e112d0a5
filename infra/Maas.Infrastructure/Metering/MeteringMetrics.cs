using Prometheus;

namespace Maas.Infrastructure.Metering;

/// <summary>
/// Metering's Prometheus metrics (maas_metering_*): records committed, ignored as duplicates, spilled, replayed, the
/// group-commit latency, the wait a record adds to its request, and the spill's size and oldest record's age.
/// </summary>
public sealed class MeteringMetrics
{
    private static readonly Counter Committed = Metrics.CreateCounter(
        "maas_metering_records_committed_total", "Usage records committed to PostgreSQL (new rows).");

    private static readonly Counter Duplicates = Metrics.CreateCounter(
        "maas_metering_records_duplicate_total", "Usage records PostgreSQL already held (same request id), ignored.");

    private static readonly Counter Spilled = Metrics.CreateCounter(
        "maas_metering_records_spilled_total", "Usage records written to the local spill because PostgreSQL was unreachable.");

    private static readonly Counter Replayed = Metrics.CreateCounter(
        "maas_metering_records_replayed_total", "Usage records replayed from the local spill into PostgreSQL.");

    private static readonly Counter CorruptLines = Metrics.CreateCounter(
        "maas_metering_spill_corrupt_lines_total", "Spill lines skipped because their checksum did not match (a write torn by a crash).");

    private static readonly Counter Unpriced = Metrics.CreateCounter(
        "maas_metering_records_unpriced_total", "Usage records written without a cost because no price was in effect (a configuration error).");

    private static readonly Histogram CommitSeconds = Metrics.CreateHistogram(
        "maas_metering_commit_seconds", "Duration of one group commit of usage records into PostgreSQL.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.00025, 2, 16) });

    private static readonly Histogram RecordWaitSeconds = Metrics.CreateHistogram(
        "maas_metering_record_wait_seconds", "Time from handing a usage record over until it is durable: what metering adds to a request.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.00025, 2, 16) });

    private static readonly Gauge SpillBytes = Metrics.CreateGauge(
        "maas_metering_spill_bytes", "Bytes in the local spill waiting to be replayed.");

    private static readonly Gauge SpillOldestAge = Metrics.CreateGauge(
        "maas_metering_spill_oldest_record_age_seconds", "Age of the oldest record in the local spill not yet replayed (0 when empty).");

    public void RecordsCommitted(int inserted, int duplicates)
    {
        Committed.Inc(inserted);
        Duplicates.Inc(duplicates);
    }

    public void RecordsSpilled(int count) => Spilled.Inc(count);

    public void RecordsReplayed(int count) => Replayed.Inc(count);

    public void CorruptSpillLines(int count) => CorruptLines.Inc(count);

    public void RecordsUnpriced(int count) => Unpriced.Inc(count);

    public void CommitDuration(TimeSpan elapsed) => CommitSeconds.Observe(elapsed.TotalSeconds);

    public void RecordWait(TimeSpan elapsed) => RecordWaitSeconds.Observe(elapsed.TotalSeconds);

    public void SpillState(long bytes, TimeSpan? oldestAge)
    {
        SpillBytes.Set(bytes);
        SpillOldestAge.Set(oldestAge?.TotalSeconds ?? 0);
    }
}
