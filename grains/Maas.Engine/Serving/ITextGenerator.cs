namespace Maas.Engine.Serving;

/// <summary>
/// The engine as the platform sees it: token ids in, a stream of generated tokens out.
/// Implementations batch concurrent calls into one continuous batch on their own threads.
/// </summary>
public interface ITextGenerator : IAsyncDisposable
{
    ModelDescription Model { get; }

    /// <summary>Streams tokens; cancelling the token frees the sequence's batch slot and KV pages.</summary>
    IAsyncEnumerable<GenerationEvent> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken);

    /// <summary>Sequences currently in the running batch.</summary>
    int ActiveSequences { get; }

    /// <summary>Sequences waiting for a batch slot.</summary>
    int QueuedSequences { get; }

    /// <summary>Loads a tenant fine-tune's replacement experts for this model (see <see cref="InferenceEngine.LoadFineTune"/>).</summary>
    Experts.FineTuneExperts LoadFineTune(string folder, string id);
}
