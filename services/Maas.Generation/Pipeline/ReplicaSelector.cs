using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Maas.Generation.Models;
using Maas.Grains.Abstractions.Models;

namespace Maas.Generation.Pipeline;

/// <summary>Spreads requests over a model's replicas ("{model}/0".."{model}/{n-1}") round-robin.</summary>
public sealed class ReplicaSelector(IGrainFactory grains)
{
    private readonly ConcurrentDictionary<string, StrongBox<int>> _next = new(StringComparer.Ordinal);

    public IModelReplicaGrain Pick(ServedModel model)
    {
        var counter = _next.GetOrAdd(model.Id, _ => new StrongBox<int>(-1));
        var replica = (int)((uint)Interlocked.Increment(ref counter.Value) % (uint)model.Replicas);
        return grains.GetGrain<IModelReplicaGrain>(ReplicaKey.Format(model.Id, replica));
    }
}
