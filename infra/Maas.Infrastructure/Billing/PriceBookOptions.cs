using System.ComponentModel.DataAnnotations;

namespace Maas.Infrastructure.Billing;

/// <summary>How often each process re-reads the price book (configuration section "Maas:Billing").</summary>
public sealed class PriceBookOptions
{
    public const string SectionName = "Maas:Billing";

    /// <summary>A price set with `maas price set` takes effect in serving processes within this interval.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PriceRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);
}
