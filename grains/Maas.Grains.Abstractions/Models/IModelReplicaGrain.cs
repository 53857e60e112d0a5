namespace Maas.Grains.Abstractions.Models;

/// <summary>
/// One engine instance serving one model (key "{model}/{replica}", see <see cref="ReplicaKey"/>).
/// Lives only on worker silos.
/// </summary>
[Alias("Maas.IModelReplicaGrain")]
public interface IModelReplicaGrain : IGrainWithStringKey
{
    /// <summary>
    /// Streams the tokens of one sequence. Cancelling <paramref name="cancellationToken"/> (or disposing the
    /// enumerator) cancels the sequence in the engine and frees its batch slot.
    /// </summary>
    [Alias("Generate")]
    IAsyncEnumerable<TokenChunk> GenerateAsync(GenerateCommand command, CancellationToken cancellationToken = default);

    /// <summary>
    /// Keeps the consumer lease of a running request (<see cref="GenerateCommand.ConsumerLease"/>) alive; false if the
    /// request has no lease here (finished, or cancelled because the lease expired).
    /// </summary>
    [Alias("RenewConsumer")]
    Task<bool> RenewConsumerAsync(string requestId);

    /// <summary>Where the replica runs, whether its model is loaded, and its batch occupancy.</summary>
    [Alias("GetStatus")]
    Task<ReplicaStatus> GetStatusAsync();
}
