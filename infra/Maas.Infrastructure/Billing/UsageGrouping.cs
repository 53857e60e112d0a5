namespace Maas.Infrastructure.Billing;

/// <summary>How a usage report splits the range: by UTC day (buckets), and within each bucket by model and/or key.</summary>
[Flags]
public enum UsageGrouping
{
    None = 0,
    Day = 1,
    Model = 2,
    Key = 4,
}
