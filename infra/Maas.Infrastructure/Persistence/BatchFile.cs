namespace Maas.Infrastructure.Persistence;

/// <summary>A file a tenant uploaded (purpose "batch") or a batch wrote (purpose "batch_output"), kept whole in PostgreSQL.</summary>
public sealed class BatchFile
{
    /// <summary>"file-…": OpenAI's id shape.</summary>
    public required string Id { get; set; }

    public required string TenantId { get; set; }

    public required string Purpose { get; set; }

    public required string Filename { get; set; }

    public long Bytes { get; set; }

    public required byte[] Content { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
