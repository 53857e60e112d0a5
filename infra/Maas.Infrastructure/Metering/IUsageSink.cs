namespace Maas.Infrastructure.Metering;

/// <summary>Where usage records go. Durable metering (PostgreSQL usage_events with a local spill) will implement it.</summary>
public interface IUsageSink
{
    ValueTask RecordAsync(UsageRecord record, CancellationToken cancellationToken);
}
