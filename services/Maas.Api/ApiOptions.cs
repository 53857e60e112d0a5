using System.ComponentModel.DataAnnotations;

namespace Maas.Api;

/// <summary>Limits of the api's HTTP surface (configuration section "Maas:Api").</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Maas:Api";

    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    [Range(1024, 1L << 30)]
    public long MaxRequestBodyBytes { get; set; } = 8L * 1024 * 1024;
}
