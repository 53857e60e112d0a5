using System.Collections.Concurrent;
using Maas.Infrastructure.Metering;

namespace Maas.Generation.Tests.Support;

/// <summary>
/// A usage sink that keeps every record it is given, registered in the api silo in place of the log sink, so tests
/// can count the records of a request. It stands where durable metering will; it is not a stand-in for storage.
/// </summary>
public sealed class CapturingUsageSink : IUsageSink
{
    private readonly ConcurrentQueue<UsageRecord> _records = new();

    public ValueTask RecordAsync(UsageRecord record, CancellationToken cancellationToken)
    {
        _records.Enqueue(record);
        return ValueTask.CompletedTask;
    }

    public IReadOnlyList<UsageRecord> For(string requestId) => _records.Where(r => r.RequestId == requestId).ToList();
}
