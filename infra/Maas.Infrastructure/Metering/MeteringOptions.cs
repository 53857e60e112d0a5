using System.ComponentModel.DataAnnotations;

namespace Maas.Infrastructure.Metering;

/// <summary>Durable metering (configuration section "Maas:Metering"); see docs/architecture.md §5.</summary>
public sealed class MeteringOptions
{
    public const string SectionName = "Maas:Metering";

    /// <summary>
    /// Where records go while PostgreSQL is unreachable (append-only, fsync'd, checksummed segment files). Must survive
    /// a restart of the process (a persistent volume in Kubernetes) and belong to one process. Default: "metering-spill"
    /// under the content root.
    /// </summary>
    public string? SpillDirectory { get; set; }

    /// <summary>Most records written in one group commit.</summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 512;

    /// <summary>Group commits in flight at once (each on its own connection).</summary>
    [Range(1, 16)]
    public int Writers { get; set; } = 2;

    /// <summary>
    /// How long a group commit may take (connecting included) before its records go to the spill instead. A commit
    /// that did land after all is harmless: the replay is idempotent by request id.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan CommitTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How often the spill is replayed into PostgreSQL while it holds records (backing off to 30 s while PostgreSQL stays down).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan ReplayInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Records waiting for a writer; producers wait when it is full.</summary>
    [Range(1, 10_000_000)]
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>Months of usage_events kept (whole monthly partitions are dropped after that); 0 keeps everything. Rollups and invoices are kept.</summary>
    [Range(0, 1200)]
    public int RetentionMonths { get; set; } = 24;

    /// <summary>How often partitions for the coming months are created and expired ones dropped.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PartitionMaintenanceInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Monthly partitions created ahead of time, beyond the current month.</summary>
    [Range(1, 24)]
    public int PartitionMonthsAhead { get; set; } = 2;
}
