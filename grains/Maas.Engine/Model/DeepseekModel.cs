using Maas.Checkpoints;
using Maas.Engine.Checkpoints;
using Maas.Engine.Experts;
using Maas.Engine.Kernels;
using Maas.Engine.KvCache;
using Maas.Engine.Weights;

namespace Maas.Engine.Model;

/// <summary>
/// A DeepSeek-V2/V3 model (MLA + DeepSeekMoE) loaded from a Hugging Face checkpoint, computing
/// logits for a batch of sequences per step against a paged latent KV cache. One Forward at a
/// time (the caller's thread drives the compute threads).
/// </summary>
public sealed unsafe class DeepseekModel : IDisposable
{
    private readonly IComputeBackend _backend;
    private readonly DeepseekWeights _weights;
    private readonly WeightMatrix _embedding;
    private readonly WeightMatrix _lmHead;
    private readonly float[] _finalNorm;
    private readonly LayerWeights[] _layers;
    private readonly LocalExpertHost _localExperts;
    private readonly RotaryEmbedding _rope;
    private readonly MoeRouter? _router;
    private readonly RunState _state;
    private readonly MlaForm _attentionForm;
    private readonly Dictionary<FeedForwardWeights, int> _replacementSlots = new(ReferenceEqualityComparer.Instance);
    private readonly List<FeedForwardWeights> _replacements = [];

    private DeepseekModel(ModelConfig config, ModelLoadOptions options, IComputeBackend backend, DeepseekWeights weights)
    {
        Config = config;
        _backend = backend;
        _weights = weights;
        _embedding = weights.Embedding;
        _lmHead = weights.LmHead;
        _finalNorm = weights.FinalNorm;
        _layers = weights.Layers;
        ParameterCount = weights.ParameterCount;
        MaxBatchTokens = options.MaxBatchTokens;
        WeightPrecision = options.Weights;
        _attentionForm = options.AttentionForm;
        MaxBatchSequences = options.MaxBatchSequences;
        MaxContextLength = config.ContextLength(options.MaxContextLength);
        _rope = new RotaryEmbedding(config);
        _router = config.NRoutedExperts > 0 ? new MoeRouter(config) : null;
        _state = new RunState(config, MaxBatchTokens, MaxBatchSequences);
        _localExperts = new LocalExpertHost(backend, weights.RoutedExperts, config.HiddenSize, Math.Max(1, config.MoeIntermediateSize), MaxBatchTokens);
    }

    public ModelConfig Config { get; }

    /// <summary>How the weights are held (fine-tunes loaded for this model are converted to the same).</summary>
    public WeightPrecision WeightPrecision { get; }

    /// <summary>Weight bytes every step reads whatever the routing (attention, dense MLPs, routers, shared experts, lm_head).</summary>
    public long DenseWeightBytes
    {
        get
        {
            long total = _lmHead.ByteLength;
            foreach (LayerWeights layer in _layers)
            {
                total += layer.DenseByteLength;
            }

            return total;
        }
    }

    /// <summary>All weight bytes held in memory.</summary>
    public long WeightBytes => DenseWeightBytes + _localExperts.ByteLength + (ReferenceEquals(_lmHead, _embedding) ? 0 : _embedding.ByteLength);

    /// <summary>Distinct weight bytes the last <see cref="Forward"/> read: the dense part plus every routed expert it ran.</summary>
    public long LastStepWeightBytes { get; private set; }

    public int VocabSize => Config.VocabSize;

    public int MaxContextLength { get; }

    public int MaxBatchTokens { get; }

    public int MaxBatchSequences { get; }

    public long ParameterCount { get; }

    /// <summary>The in-process host of the base model's routed experts (remote hosts may delegate to it).</summary>
    public LocalExpertHost LocalExperts => _localExperts;

    public string BackendName => _backend.Name;

    /// <summary>The code path each kernel family runs (e.g. q8: avx2, f32: avx2).</summary>
    public KernelPaths Kernels => _backend.Paths;

    public long KvBytesPerToken(KvCacheElementType elementType) => PagedKvCache.ComputeBytesPerToken(Config, elementType);

    /// <summary>A KV cache for this model holding <paramref name="tokens"/> tokens over all sequences.</summary>
    public PagedKvCache CreateKvCache(int tokens, KvCacheElementType elementType, int pageSize = PagedKvCache.DefaultPageSize) =>
        PagedKvCache.ForTokens(Config, tokens, elementType, pageSize);

    /// <summary>A batch sized for this model's MaxBatchSequences and MaxBatchTokens.</summary>
    public ForwardBatch CreateBatch() => new(MaxBatchSequences, MaxBatchTokens);

    public static DeepseekModel Load(string folder, ModelLoadOptions? options = null)
    {
        options ??= new ModelLoadOptions();
        if (options.MaxBatchTokens < 1 || options.MaxBatchSequences < 1)
        {
            throw new ArgumentException("MaxBatchTokens and MaxBatchSequences must be positive", nameof(options));
        }

        ModelConfig config = ModelConfig.Load(folder);
        DeepseekWeights weights;
        using (Checkpoint checkpoint = Checkpoint.Open(folder))
        {
            weights = DeepseekWeightsLoader.Load(checkpoint, config, options.Weights, options.Progress);
        }

        try
        {
            IComputeBackend backend = options.UseScalarKernels ? new ScalarBackend() : new CpuBackend(options.Threads, options.Simd);
            return new DeepseekModel(config, options, backend, weights);
        }
        catch
        {
            weights.Dispose();
            foreach (FeedForwardWeights[]? layer in weights.RoutedExperts)
            {
                foreach (FeedForwardWeights expert in layer ?? [])
                {
                    expert.Dispose();
                }
            }

            throw;
        }
    }

    /// <summary>
    /// Runs one step: appends every entry's new tokens to its KV sequence and writes logits rows
    /// [batch.LogitRowCount, VocabSize] into <paramref name="logits"/> (entry order; see
    /// ForwardBatch.LogitsRowStart). Throws <see cref="KvCacheExhaustedException"/> before computing
    /// anything when the cache cannot hold the new tokens.
    /// </summary>
    public void Forward(ForwardBatch batch, PagedKvCache cache, Span<float> logits)
    {
        ModelConfig c = Config;
        int rows = batch.TokenCount;
        if (rows == 0)
        {
            return;
        }

        _localExperts.ResetTouchedBytes();
        if (rows > MaxBatchTokens || batch.SequenceCount > MaxBatchSequences)
        {
            throw new ArgumentException($"batch of {batch.SequenceCount} sequences / {rows} tokens exceeds the model's limits ({MaxBatchSequences} / {MaxBatchTokens})", nameof(batch));
        }

        if (cache.Layers != c.NumHiddenLayers || cache.LatentDim != c.KvLoraRank || cache.RopeDim != c.QkRopeHeadDim)
        {
            throw new ArgumentException("the KV cache was made for a different model shape", nameof(cache));
        }

        if (logits.Length < (long)batch.LogitRowCount * c.VocabSize)
        {
            throw new ArgumentException($"logits needs {batch.LogitRowCount} x {c.VocabSize} floats", nameof(logits));
        }

        ReadOnlySpan<int> tokens = batch.Tokens;
        for (int e = 0; e < batch.SequenceCount; e++)
        {
            KvSequence sequence = batch.Sequence(e);
            int end = sequence.Length + batch.EntryTokenCount(e);
            if (end > MaxContextLength)
            {
                throw new ArgumentException($"sequence {sequence.Id} would reach {end} tokens, beyond the context length {MaxContextLength}", nameof(batch));
            }

            if (batch.FineTune(e) is { } fineTune && (!ReferenceEquals(fineTune.Model, this) || fineTune.IsFreed))
            {
                throw new ArgumentException($"fine-tune {fineTune.Id} was loaded for another model or has been freed", nameof(batch));
            }

            int start = batch.TokenStart(e);
            for (int i = 0; i < batch.EntryTokenCount(e); i++)
            {
                int token = tokens[start + i];
                if ((uint)token >= (uint)c.VocabSize)
                {
                    throw new ArgumentException($"token id {token} is outside the vocabulary [0, {c.VocabSize})", nameof(batch));
                }

                _state.RowPosition[start + i] = sequence.Length + i;
                _state.RowEntry[start + i] = e;
            }
        }

        for (int e = 0; e < batch.SequenceCount; e++)
        {
            KvSequence sequence = batch.Sequence(e);
            cache.Reserve(sequence, sequence.Length + batch.EntryTokenCount(e));
        }

        int hidden = c.HiddenSize;
        float* x = _state.X.Pointer;
        for (int t = 0; t < rows; t++)
        {
            ScalarKernels.DequantizeRow(_embedding, tokens[t], x + (long)t * hidden);
            _rope.Fill(_state.RowPosition[t], _state.Cos.Pointer + (long)t * _rope.Half, _state.Sin.Pointer + (long)t * _rope.Half);
        }

        for (int l = 0; l < _layers.Length; l++)
        {
            LayerWeights layer = _layers[l];
            _backend.RmsNorm(x, hidden, rows, Pin(layer.InputNorm), hidden, (float)c.RmsNormEps, _state.Normed.Pointer, hidden);
            Attention(l, layer.Attention, batch, cache, rows);
            _backend.Add(x, _state.Temp.Pointer, rows * hidden);

            _backend.RmsNorm(x, hidden, rows, Pin(layer.PostAttentionNorm), hidden, (float)c.RmsNormEps, _state.Normed.Pointer, hidden);
            if (layer.IsMoe)
            {
                MixtureOfExperts(l, layer, batch, rows);
            }
            else
            {
                FeedForward(layer.Mlp!, rows);
                _backend.Add(x, _state.Temp.Pointer, rows * hidden);
            }
        }

        // Final norm only on the rows that want logits, gathered contiguously, then lm_head.
        int logitRows = 0;
        for (int e = 0; e < batch.SequenceCount; e++)
        {
            int start = batch.TokenStart(e);
            int count = batch.EntryTokenCount(e);
            int first = batch.WantsAllLogits(e) ? start : start + count - 1;
            for (int r = first; r < start + count; r++)
            {
                _state.LogitRows[logitRows++] = r;
            }
        }

        float* normed = _state.Normed.Pointer;
        for (int i = 0; i < logitRows; i++)
        {
            _backend.RmsNorm(x + (long)_state.LogitRows[i] * hidden, hidden, 1, Pin(_finalNorm), hidden, (float)c.RmsNormEps, normed + (long)i * hidden, hidden);
        }

        fixed (float* output = logits)
        {
            _backend.MatMul(normed, hidden, logitRows, _lmHead, output, c.VocabSize);
        }

        for (int e = 0; e < batch.SequenceCount; e++)
        {
            batch.Sequence(e).Length += batch.EntryTokenCount(e);
        }

        // Each replacement expert counts once per layer it ran in, as base experts do (LocalExpertHost.TouchedBytes).
        LastStepWeightBytes = DenseWeightBytes + _localExperts.TouchedBytes;
    }

    /// <summary>
    /// Whether an entry of <paramref name="rows"/> new tokens after <paramref name="start"/> cached ones is cheaper in MLA's
    /// expanded form, in multiply-adds: expanded decompresses K and V for all start + rows positions once, then costs
    /// heads·(nope + rope + v) per (query, visible key); absorbed costs heads·(2·latent + rope) per pair plus the per-row
    /// absorption of q and the output. Long prompt chunks come out expanded, decode and short chunks after a long
    /// prefix absorbed (the attention harness measured the crossing where this puts it, within its noise).
    /// </summary>
    private bool UseExpanded(int start, int rows) =>
        _attentionForm == MlaForm.Auto ? ExpandedIsCheaper(Config, start, rows) : _attentionForm == MlaForm.Expanded;

    /// <summary>The cost model of <see cref="UseExpanded"/>.</summary>
    internal static bool ExpandedIsCheaper(ModelConfig c, int start, int rows)
    {
        double heads = c.NumAttentionHeads, latent = c.KvLoraRank;
        double decompress = heads * latent * (c.QkNopeHeadDim + c.VHeadDim);
        double pairs = rows * (start + (rows + 1) / 2.0);
        double expanded = (start + rows) * decompress + pairs * heads * (c.QHeadDim + c.VHeadDim);
        double absorbed = pairs * heads * (2 * latent + c.QkRopeHeadDim) + rows * decompress;
        return expanded < absorbed;
    }

    /// <summary>
    /// MLA; reads Normed, writes the o_proj output to Temp. Each entry in the cheaper form (<see cref="UseExpanded"/>):
    /// prompt chunks expanded, decode absorbed (reading only the cached latents).
    /// </summary>
    private void Attention(int layerIndex, AttentionWeights w, ForwardBatch batch, PagedKvCache cache, int rows)
    {
        ModelConfig c = Config;
        int hidden = c.HiddenSize;
        int heads = c.NumAttentionHeads;
        int qHead = c.QHeadDim;
        int qDim = heads * qHead;
        int nope = c.QkNopeHeadDim;
        int rope = c.QkRopeHeadDim;
        int latent = c.KvLoraRank;
        int entry = c.KvEntryDim;
        int v = c.VHeadDim;
        float eps = (float)c.RmsNormEps;
        float* xn = _state.Normed.Pointer;
        float* q = _state.Q.Pointer;
        float* kva = _state.KvA.Pointer;

        // The query projection (or its low-rank first half) and kv_a_proj read the same input: one dispatch.
        var kvGroup = new MatMulGroup(xn, hidden, rows, w.KvAProj, kva, entry);
        if (w.QProj is not null)
        {
            _backend.MatMulGroups([new MatMulGroup(xn, hidden, rows, w.QProj, q, qDim), kvGroup]);
        }
        else
        {
            int rank = c.QLoraRank!.Value;
            float* qa = _state.QLora.Pointer;
            _backend.MatMulGroups([new MatMulGroup(xn, hidden, rows, w.QAProj!, qa, rank), kvGroup]);
            _backend.RmsNorm(qa, rank, rows, Pin(w.QANorm!), rank, eps, qa, rank);
            _backend.MatMul(qa, rank, rows, w.QBProj!, q, qDim);
        }

        _backend.RmsNorm(kva, entry, rows, Pin(w.KvANorm), latent, eps, kva, entry);
        _backend.Rope(kva + latent, entry, rows, 1, 0, rope, _state.Cos.Pointer, _state.Sin.Pointer);
        _backend.Rope(q + nope, qDim, rows, heads, qHead, rope, _state.Cos.Pointer, _state.Sin.Pointer);
        for (int t = 0; t < rows; t++)
        {
            float* kv = kva + (long)t * entry;
            cache.Write(batch.Sequence(_state.RowEntry[t]), layerIndex, _state.RowPosition[t], kv, kv + latent);
        }

        float* qLat = _state.QLatent.Pointer;
        float* oLat = _state.OLatent.Pointer;
        float* values = _state.AttnValues.Pointer;
        LatentAttentionArgs[] absorbed = _state.AttentionArgs;
        ExpandedAttentionArgs[] expanded = _state.ExpandedAttentionArgs;
        int[] ranges = _state.AbsorbedRanges;
        int absorbedCount = 0, expandedCount = 0, rangeCount = 0;
        for (int e = 0; e < batch.SequenceCount; e++)
        {
            int start = batch.TokenStart(e);
            int count = batch.EntryTokenCount(e);
            if (UseExpanded(_state.RowPosition[start], count))
            {
                expanded[expandedCount++] = new ExpandedAttentionArgs
                {
                    Cache = cache,
                    Sequence = batch.Sequence(e),
                    Layer = layerIndex,
                    StartPosition = _state.RowPosition[start],
                    Rows = count,
                    Heads = heads,
                    Query = q + (long)start * qDim,
                    QueryRowStride = qDim,
                    QueryHeadStride = qHead,
                    KeyUp = w.KeyUp,
                    ValueUp = w.ValueUp,
                    Scale = _rope.SoftmaxScale,
                    Output = values + (long)start * heads * v,
                    OutputRowStride = heads * v,
                };
                continue;
            }

            absorbed[absorbedCount++] = new LatentAttentionArgs
            {
                Cache = cache,
                Sequence = batch.Sequence(e),
                Layer = layerIndex,
                StartPosition = _state.RowPosition[start],
                Rows = count,
                Heads = heads,
                QueryLatent = qLat + (long)start * heads * latent,
                QueryRope = q + (long)start * qDim + nope,
                QueryRopeRowStride = qDim,
                QueryRopeHeadStride = qHead,
                Scale = _rope.SoftmaxScale,
                Output = oLat + (long)start * heads * latent,
            };

            // Consecutive absorbed entries share one run of rows for the absorption matmuls.
            if (rangeCount > 0 && ranges[2 * rangeCount - 2] + ranges[2 * rangeCount - 1] == start)
            {
                ranges[2 * rangeCount - 1] += count;
            }
            else
            {
                ranges[2 * rangeCount] = start;
                ranges[2 * rangeCount + 1] = count;
                rangeCount++;
            }
        }

        for (int r = 0; r < rangeCount; r++)
        {
            long first = ranges[2 * r];
            _backend.MatMulHeadsInputMajor(q + first * qDim, qDim, qHead, ranges[2 * r + 1], w.KeyUp, qLat + first * heads * latent, heads * latent, latent);
        }

        _backend.LatentAttention(absorbed.AsSpan(0, absorbedCount));
        _backend.ExpandedAttention(expanded.AsSpan(0, expandedCount));
        Array.Clear(absorbed, 0, absorbedCount);
        Array.Clear(expanded, 0, expandedCount);

        for (int r = 0; r < rangeCount; r++)
        {
            long first = ranges[2 * r];
            _backend.MatMulHeadsInputMajor(oLat + first * heads * latent, heads * latent, latent, ranges[2 * r + 1], w.ValueUp, values + first * heads * v, heads * v, v);
        }

        _backend.MatMul(values, heads * v, rows, w.OProj, _state.Temp.Pointer, hidden);
    }

    /// <summary>SwiGLU MLP on Normed, result in Temp.</summary>
    private void FeedForward(FeedForwardWeights w, int rows)
    {
        int hidden = Config.HiddenSize;
        int width = w.Width;
        float* gate = _state.GateUp.Pointer;
        float* up = gate + _state.UpOffset;
        _backend.MatMulHeads(_state.Normed.Pointer, hidden, 0, rows, w.GateUp, gate, width, _state.UpOffset);
        _backend.SiluMul(gate, up, rows * width);
        _backend.MatMul(gate, width, rows, w.Down, _state.Temp.Pointer, hidden);
    }

    /// <summary>Router, then routed and shared experts through the expert hosts; adds the result to X.</summary>
    private void MixtureOfExperts(int layerIndex, LayerWeights layer, ForwardBatch batch, int rows)
    {
        ModelConfig c = Config;
        int hidden = c.HiddenSize;
        int experts = c.NRoutedExperts;
        int k = c.NumExpertsPerTok;
        float* routerLogits = _state.RouterLogits.Pointer;
        _backend.MatMul(_state.Normed.Pointer, hidden, rows, layer.Router!, routerLogits, experts);

        ExpertAssignment[] assignments = _state.Assignments;
        for (int t = 0; t < rows; t++)
        {
            Span<int> ids = _state.ExpertIds.AsSpan(t * k, k);
            Span<float> weights = _state.ExpertWeights.AsSpan(t * k, k);
            _router!.Route(new ReadOnlySpan<float>(routerLogits + (long)t * experts, experts), layer.RouterBias, ids, weights);
            for (int j = 0; j < k; j++)
            {
                assignments[t * k + j] = new ExpertAssignment(t, ids[j], weights[j]);
            }
        }

        int count = rows * k;
        var hiddenStates = new ReadOnlySpan<float>(_state.Normed.Pointer, rows * hidden);
        var moeOut = new Span<float>(_state.MoeOut.Pointer, rows * hidden);
        moeOut.Clear();
        SharedExpertRun? shared = null;
        if (layer.SharedExperts is { } sharedWeights)
        {
            shared = new SharedExpertRun(sharedWeights, _state.GateUp.Pointer, _state.GateUp.Pointer + _state.UpOffset, _state.Temp.Pointer);
        }

        DispatchExperts(layerIndex, batch, hiddenStates, assignments.AsSpan(0, count), moeOut, shared);
        if (shared is not null)
        {
            _backend.Add(_state.X.Pointer, _state.Temp.Pointer, rows * hidden);
        }

        _backend.Add(_state.X.Pointer, _state.MoeOut.Pointer, rows * hidden);
    }

    /// <summary>
    /// Sends each assignment to the host serving it: a sequence's own host if it serves that (layer, expert), else the
    /// local one, which also runs the base model's shared experts (tenant hosts serve routed experts only). An
    /// assignment of a sequence whose fine-tune replaces the expert is renumbered to a replacement slot
    /// (n_routed + i), so the local host runs base and every fine-tune's experts in the same two dispatches.
    /// </summary>
    private void DispatchExperts(int layerIndex, ForwardBatch batch, ReadOnlySpan<float> hidden, ReadOnlySpan<ExpertAssignment> assignments, Span<float> output, SharedExpertRun? shared)
    {
        int size = Config.HiddenSize;
        bool anyHost = false, anyFineTune = false;
        for (int e = 0; e < batch.SequenceCount; e++)
        {
            anyHost |= batch.ExpertHost(e) is not null;
            anyFineTune |= batch.FineTune(e) is { } f && f.ReplacesIn(layerIndex);
        }

        if (!anyHost && !anyFineTune)
        {
            _localExperts.Accumulate(layerIndex, hidden, size, assignments, output, shared, []);
            return;
        }

        ExpertAssignment[] subset = _state.AssignmentSubset;
        int n = 0;
        int routed = Config.NRoutedExperts;
        _replacementSlots.Clear();
        _replacements.Clear();
        foreach (ExpertAssignment a in assignments)
        {
            int entry = _state.RowEntry[a.Row];
            IExpertHost? host = batch.ExpertHost(entry);
            if (host is not null && host.Serves(layerIndex, a.Expert))
            {
                continue;
            }

            if (batch.FineTune(entry)?.Replacement(layerIndex, a.Expert) is { } replacement)
            {
                if (!_replacementSlots.TryGetValue(replacement, out int slot))
                {
                    slot = _replacements.Count;
                    _replacementSlots.Add(replacement, slot);
                    _replacements.Add(replacement);
                }

                subset[n++] = a with { Expert = routed + slot };
            }
            else
            {
                subset[n++] = a;
            }
        }

        _localExperts.Accumulate(layerIndex, hidden, size, subset.AsSpan(0, n), output, shared, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_replacements));
        _replacements.Clear();
        _replacementSlots.Clear();
        if (!anyHost)
        {
            return;
        }

        for (int e = 0; e < batch.SequenceCount; e++)
        {
            IExpertHost? host = batch.ExpertHost(e);
            if (host is null || SeenBefore(batch, e, host))
            {
                continue;
            }

            n = 0;
            foreach (ExpertAssignment a in assignments)
            {
                if (ReferenceEquals(batch.ExpertHost(_state.RowEntry[a.Row]), host) && host.Serves(layerIndex, a.Expert))
                {
                    subset[n++] = a;
                }
            }

            if (n > 0)
            {
                host.Accumulate(layerIndex, hidden, size, subset.AsSpan(0, n), output);
            }
        }
    }

    private static bool SeenBefore(ForwardBatch batch, int entry, IExpertHost host)
    {
        for (int e = 0; e < entry; e++)
        {
            if (ReferenceEquals(batch.ExpertHost(e), host))
            {
                return true;
            }
        }

        return false;
    }

    // Norm weight vectors are allocated on the pinned object heap (WeightLoader.Vector), so their address is stable.
    private static float* Pin(float[] array) =>
        (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(array));

    public void Dispose()
    {
        _backend.Dispose();
        _state.Dispose();
        _weights.Dispose();
        _localExperts.Dispose();
    }
}
