namespace Maas.Grains.Abstractions.Models;

/// <summary>
/// Thrown by <see cref="IModelReplicaGrain.GenerateAsync"/> before the first chunk when the replica's engine will not run
/// the sequence. <see cref="Limit"/> is the limit it ran into: the cache's tokens, the queue's length, or the queue
/// deadline in milliseconds. Serialized by Orleans to the caller's silo.
/// </summary>
[GenerateSerializer, Alias("Maas.ReplicaRefusedException")]
public sealed class ReplicaRefusedException : Exception
{
    public ReplicaRefusedException()
    {
    }

    public ReplicaRefusedException(string message)
        : base(message)
    {
    }

    public ReplicaRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ReplicaRefusedException(ReplicaRefusal reason, long limit, string message)
        : base(message)
    {
        Reason = reason;
        Limit = limit;
    }

    [Id(0)]
    public ReplicaRefusal Reason { get; private set; }

    [Id(1)]
    public long Limit { get; private set; }
}
