namespace Maas.Infrastructure.Persistence;

/// <summary>
/// One OpenAI batch: its status and timestamps as the Batch API reports them, the input and output files, and the
/// line counts. Lines live in <see cref="BatchLine"/>; the batch-job grain moves the status along.
/// </summary>
public sealed class BatchJob
{
    /// <summary>"batch_…".</summary>
    public required string Id { get; set; }

    public required string TenantId { get; set; }

    /// <summary>The key that created it: lines are admitted and metered against it.</summary>
    public required string KeyId { get; set; }

    public required string Endpoint { get; set; }

    public required string InputFileId { get; set; }

    public required string CompletionWindow { get; set; }

    /// <summary>validating, failed, in_progress, finalizing, completed, expired, cancelling, cancelled.</summary>
    public required string Status { get; set; }

    public string? OutputFileId { get; set; }

    public string? ErrorFileId { get; set; }

    /// <summary>The request's metadata object as JSON, or null.</summary>
    public string? Metadata { get; set; }

    /// <summary>Validation errors (OpenAI's errors.data list) as JSON, or null.</summary>
    public string? Errors { get; set; }

    /// <summary>Where to POST the HMAC-signed completion notice, or null.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>The tenant's secret for the webhook's HMAC-SHA256 signature (it must be kept to sign; never returned).</summary>
    public string? WebhookSecret { get; set; }

    public int Total { get; set; }

    public int Completed { get; set; }

    public int Failed { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? InProgressAt { get; set; }

    public DateTimeOffset? FinalizingAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public DateTimeOffset? FailedAt { get; set; }

    public DateTimeOffset? ExpiredAt { get; set; }

    public DateTimeOffset? CancellingAt { get; set; }

    public DateTimeOffset? CancelledAt { get; set; }
}
