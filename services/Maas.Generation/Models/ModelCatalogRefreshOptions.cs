using System.ComponentModel.DataAnnotations;

namespace Maas.Generation.Models;

/// <summary>How often the served-model catalog re-reads the PostgreSQL models table (configuration section "Maas:ModelCatalog").</summary>
public sealed class ModelCatalogRefreshOptions
{
    public const string SectionName = "Maas:ModelCatalog";

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);
}
