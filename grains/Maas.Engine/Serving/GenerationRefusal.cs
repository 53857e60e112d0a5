namespace Maas.Engine.Serving;

/// <summary>Why the engine would not run a request (see <see cref="GenerationRefusedException"/>).</summary>
public enum GenerationRefusal
{
    /// <summary>Prompt plus max_tokens need more KV than the whole cache holds: it could never run.</summary>
    ExceedsKvCache,

    /// <summary>The waiting queue is at <see cref="InferenceEngineOptions.MaxQueuedSequences"/>; try again shortly.</summary>
    QueueFull,

    /// <summary>The request waited for a batch slot longer than its queue deadline.</summary>
    QueueTimeout,
}
