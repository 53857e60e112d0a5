namespace Maas.Grains.Abstractions.Models;

/// <summary>Why a replica refused a sequence before generating anything (see <see cref="ReplicaRefusedException"/>).</summary>
[GenerateSerializer, Alias("Maas.ReplicaRefusal")]
public enum ReplicaRefusal
{
    /// <summary>Prompt plus max_tokens need more KV than the replica's whole cache: a client error, never worth retrying.</summary>
    ExceedsKvCache = 0,

    /// <summary>The replica's waiting queue is full: retry shortly.</summary>
    QueueFull = 1,

    /// <summary>The request waited for a batch slot past its queue deadline: retry shortly.</summary>
    QueueTimeout = 2,
}
