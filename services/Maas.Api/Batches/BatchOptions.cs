using System.ComponentModel.DataAnnotations;

namespace Maas.Api.Batches;

/// <summary>The Batch API's settings under "Maas:Batches", validated at start-up.</summary>
public sealed class BatchOptions
{
    public const string SectionName = "Maas:Batches";

    /// <summary>Lines of one batch generating at once (each takes a tenant concurrency slot while it runs).</summary>
    [Range(1, 256)]
    public int Concurrency { get; set; } = 4;

    /// <summary>Lines an input file may have.</summary>
    [Range(1, 1_000_000)]
    public int MaxLines { get; set; } = 50_000;

    /// <summary>Largest file accepted by POST /v1/files.</summary>
    [Range(1, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>Wait before a line refused as busy (429 concurrency, 503 no capacity) is tried again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan BusyRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the completion webhook may take to answer.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
