using Maas.Checkpoints;
using Maas.Checkpoints.FineTunes;
using Maas.Engine.Checkpoints;
using Maas.Engine.Model;
using Maas.Engine.Weights;

namespace Maas.Engine.Experts;

/// <summary>
/// A tenant fine-tune's replacement routed experts (ESFT: the router and everything else stay the base model's), loaded
/// for one <see cref="DeepseekModel"/> in its weight precision. A batch entry that carries it
/// (<see cref="ForwardBatch.Add"/>) has its assignments to a replaced (layer, expert) computed with these weights, in
/// the same two grouped dispatches as the base experts (a replacement is one more group). Every other sequence of the
/// batch is unaffected.
/// </summary>
/// <remarks>
/// Lifetime: the owner (an expert shard on a worker) disposes it when the fine-tune goes idle or is deleted; sequences
/// that still run with it hold a lease (<see cref="TryAcquire"/> / <see cref="Release"/>), and the native memory is
/// returned when the last lease ends, never under a running step.
/// </remarks>
public sealed class FineTuneExperts : IDisposable
{
    private readonly FeedForwardWeights?[]?[] _layers;
    private readonly object _gate = new();
    private int _leases;
    private bool _retired;
    private bool _freed;

    private FineTuneExperts(string id, DeepseekModel model, FeedForwardWeights?[]?[] layers, int expertCount, long byteLength)
    {
        Id = id;
        Model = model;
        _layers = layers;
        ExpertCount = expertCount;
        ByteLength = byteLength;
    }

    /// <summary>The fine-tune version this holds (e.g. "ft:base:tenant:name@3"), for logs and errors.</summary>
    public string Id { get; }

    /// <summary>Replaced (layer, expert) pairs.</summary>
    public int ExpertCount { get; }

    /// <summary>Native bytes held by the replacement weights (in the model's precision).</summary>
    public long ByteLength { get; }

    /// <summary>True once disposed and every lease has ended: the weights' memory is returned.</summary>
    public bool IsFreed
    {
        get
        {
            lock (_gate)
            {
                return _freed;
            }
        }
    }

    internal DeepseekModel Model { get; }

    /// <summary>
    /// Validates <paramref name="folder"/> against the model (<see cref="FineTuneManifest.Validate"/>) and loads only the
    /// listed experts' tensors, converted to the model's weight precision. Errors are <see cref="CheckpointException"/>s
    /// naming the tensor.
    /// </summary>
    public static FineTuneExperts Load(string folder, DeepseekModel model, string id)
    {
        ArgumentNullException.ThrowIfNull(model);
        ModelConfig config = model.Config;
        FineTuneManifest manifest = FineTuneManifest.Validate(folder, config);
        var layers = new FeedForwardWeights?[]?[config.NumHiddenLayers];
        var loaded = new List<FeedForwardWeights>();
        try
        {
            using Checkpoint checkpoint = Checkpoint.Open(folder);
            var loader = new WeightLoader(checkpoint, model.WeightPrecision);
            long bytes = 0;
            foreach ((int layer, int[] experts) in manifest.Experts)
            {
                var replaced = layers[layer] = new FeedForwardWeights?[config.NRoutedExperts];
                foreach (int expert in experts)
                {
                    string Stored(string projection) => manifest.StoredNames[FineTuneManifest.TensorName(layer, expert, projection)];
                    int hidden = config.HiddenSize, width = config.MoeIntermediateSize;
                    var weights = new FeedForwardWeights(
                        loader.Matrix(Stored("gate_proj"), width, hidden),
                        loader.Matrix(Stored("up_proj"), width, hidden),
                        loader.Matrix(Stored("down_proj"), hidden, width));
                    loaded.Add(weights);
                    replaced[expert] = weights;
                    bytes += weights.ByteLength;
                }
            }

            return new FineTuneExperts(id, model, layers, manifest.ExpertCount, bytes);
        }
        catch
        {
            foreach (FeedForwardWeights weights in loaded)
            {
                weights.Dispose();
            }

            throw;
        }
    }

    /// <summary>The replacement of (layer, expert), or null where the base expert stays.</summary>
    internal FeedForwardWeights? Replacement(int layer, int expert) =>
        _layers[layer] is { } replaced ? replaced[expert] : null;

    /// <summary>Whether this fine-tune replaces any expert of <paramref name="layer"/>.</summary>
    internal bool ReplacesIn(int layer) => _layers[layer] is not null;

    /// <summary>Takes a lease for one sequence; false once the experts were disposed (the caller must not use them).</summary>
    public bool TryAcquire()
    {
        lock (_gate)
        {
            if (_retired)
            {
                return false;
            }

            _leases++;
            return true;
        }
    }

    /// <summary>Ends a lease from <see cref="TryAcquire"/>; the last one after <see cref="Dispose"/> frees the weights.</summary>
    public void Release()
    {
        lock (_gate)
        {
            if (_leases == 0)
            {
                throw new InvalidOperationException($"fine-tune {Id}: more releases than leases");
            }

            _leases--;
            FreeIfUnused();
        }
    }

    /// <summary>No new leases from now; the weights are freed at once, or when the last running sequence releases them.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _retired = true;
            FreeIfUnused();
        }
    }

    private void FreeIfUnused()
    {
        if (!_retired || _leases > 0 || _freed)
        {
            return;
        }

        _freed = true;
        foreach (FeedForwardWeights?[]? layer in _layers)
        {
            foreach (FeedForwardWeights? expert in layer ?? [])
            {
                expert?.Dispose();
            }
        }
    }
}
