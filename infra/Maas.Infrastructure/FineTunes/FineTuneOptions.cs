using System.ComponentModel.DataAnnotations;

namespace Maas.Infrastructure.FineTunes;

/// <summary>Tenant fine-tunes (configuration section "Maas:FineTunes"); see docs/architecture.md §4.</summary>
public sealed class FineTuneOptions
{
    public const string SectionName = "Maas:FineTunes";

    /// <summary>
    /// The artifact store: a folder every worker can read at the same path (a shared volume in a cluster). Default:
    /// "fine-tunes" under the content root, which one machine's processes share.
    /// </summary>
    public string? ArtifactRoot { get; set; }

    /// <summary>Largest upload accepted (the .tar body, or the sum of multipart files).</summary>
    [Range(1024, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 8L << 30;

    /// <summary>How long a worker keeps a fine-tune's experts loaded after its last request before returning the memory.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "7.00:00:00")]
    public TimeSpan IdleUnloadAfter { get; set; } = TimeSpan.FromMinutes(10);

    public string ResolveArtifactRoot(string contentRoot) =>
        ArtifactRoot is { Length: > 0 } configured ? Path.GetFullPath(configured, contentRoot) : Path.Combine(contentRoot, "fine-tunes");
}
