namespace Maas.Portal.Charts;

/// <summary>One model's tokens on one UTC day, by token class: one stacked bar of the usage chart.</summary>
public sealed record UsageChartBar(DateTimeOffset Day, string Model, long InputCacheMiss, long InputCacheHit, long Output)
{
    public long Total => InputCacheMiss + InputCacheHit + Output;
}
