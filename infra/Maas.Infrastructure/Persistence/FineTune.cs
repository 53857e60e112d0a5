namespace Maas.Infrastructure.Persistence;

/// <summary>
/// A row of the fine_tunes table: one uploaded version of a tenant's fine-tune (ESFT replacement experts of a base
/// model). Every upload of the same name is a new version; a delete marks every version deleted (rows stay for usage
/// records and invoices that name them).
/// </summary>
public sealed class FineTune
{
    /// <summary>The public model name, "ft:{base}:{tenant}:{name}" (<see cref="Maas.Infrastructure.FineTunes.FineTuneName"/>).</summary>
    public required string Id { get; set; }

    public required int Version { get; set; }

    public required string TenantId { get; set; }

    public required string Name { get; set; }

    public required string BaseModel { get; set; }

    /// <summary>The folder holding expert_cfg.json and the safetensors (in the artifact store; readable by the workers).</summary>
    public required string ArtifactPath { get; set; }

    /// <summary>SHA-256 over the artifact's files ("sha256:..."): what the workers load and the prefix KV cache keys on.</summary>
    public required string Digest { get; set; }

    public long WeightBytes { get; set; }

    public int ExpertCount { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? DeletedAt { get; set; }
}
