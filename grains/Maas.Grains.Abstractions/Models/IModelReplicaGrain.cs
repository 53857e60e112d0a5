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

    /// <summary>Where the replica runs, whether its model is loaded, and its batch occupancy.</summary>
    [Alias("GetStatus")]
    Task<ReplicaStatus> GetStatusAsync();
}
