namespace Maas.Infrastructure.Metering;

/// <summary>
/// Where usage records go. <see cref="RecordAsync"/> completes only once the record is durable (committed to
/// PostgreSQL, or fsync'd to the local spill), so a caller that awaits it before finishing its response never
/// reports success for usage that could still be lost; it throws when the record could not be made durable.
/// </summary>
public interface IUsageSink
{
    ValueTask RecordAsync(UsageRecord record, CancellationToken cancellationToken);
}
