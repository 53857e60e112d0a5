namespace Maas.Infrastructure.Metering;

/// <summary>A usage record could be made durable neither in PostgreSQL nor in the local spill.</summary>
public sealed class UsageNotRecordedException(string requestId, Exception inner)
    : Exception($"The usage record of request {requestId} could not be stored.", inner)
{
    public string RequestId { get; } = requestId;
}
