using Maas.Checkpoints;
using Maas.Engine.Checkpoints;
using Maas.Engine.Weights;

namespace Maas.Engine.KvCache;

/// <summary>
/// The compressed MLA cache: per token per layer only the normalised latent (kv_lora_rank values)
/// and the rotated shared rope key (qk_rope_head_dim values), in fixed-size pages from one
/// preallocated native pool. A page holds PageSize tokens of every layer.
/// Not thread-safe: the scheduler (one thread) allocates and frees; Forward reads and writes.
/// </summary>
public sealed unsafe class PagedKvCache : IDisposable
{
    public const int DefaultPageSize = 16;

    private readonly NativeBuffer<byte> _pool;
    private readonly int[] _freePages;
    private int _freeCount;
    private int _nextSequenceId;

    public PagedKvCache(ModelConfig config, int pageCount, KvCacheElementType elementType, int pageSize = DefaultPageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        Layers = config.NumHiddenLayers;
        LatentDim = config.KvLoraRank;
        RopeDim = config.QkRopeHeadDim;
        ElementType = elementType;
        PageSize = pageSize;
        PageCount = pageCount;
        ElementSize = elementType == KvCacheElementType.F32 ? 4 : 2;
        PageBytes = (long)Layers * pageSize * EntryDim * ElementSize;
        _pool = new NativeBuffer<byte>(PageBytes * pageCount);
        _freePages = new int[pageCount];
        for (int i = 0; i < pageCount; i++)
        {
            _freePages[i] = pageCount - 1 - i;
        }

        _freeCount = pageCount;
    }

    /// <summary>A cache able to hold <paramref name="tokens"/> tokens in total (rounded up to whole pages).</summary>
    public static PagedKvCache ForTokens(ModelConfig config, int tokens, KvCacheElementType elementType, int pageSize = DefaultPageSize) =>
        new(config, Math.Max(1, (tokens + pageSize - 1) / pageSize), elementType, pageSize);

    public static long ComputeBytesPerToken(ModelConfig config, KvCacheElementType elementType) =>
        (long)config.NumHiddenLayers * config.KvEntryDim * (elementType == KvCacheElementType.F32 ? 4 : 2);

    public int Layers { get; }

    public int LatentDim { get; }

    public int RopeDim { get; }

    public int EntryDim => LatentDim + RopeDim;

    public KvCacheElementType ElementType { get; }

    public int ElementSize { get; }

    public int PageSize { get; }

    public int PageCount { get; }

    public int FreePages => _freeCount;

    public long PageBytes { get; }

    public long BytesPerToken => (long)Layers * EntryDim * ElementSize;

    public long TotalBytes => _pool.Length;

    public KvSequence CreateSequence() => new(this, _nextSequenceId++);

    /// <summary>Makes sure the sequence's pages can hold <paramref name="totalTokens"/> tokens; all or nothing.</summary>
    public void Reserve(KvSequence sequence, int totalTokens)
    {
        CheckOwned(sequence);
        int pagesNeeded = (totalTokens + PageSize - 1) / PageSize - sequence.PageCount;
        if (pagesNeeded <= 0)
        {
            return;
        }

        if (pagesNeeded > _freeCount)
        {
            throw new KvCacheExhaustedException(pagesNeeded, _freeCount);
        }

        if (sequence.PageCount + pagesNeeded > sequence.Pages.Length)
        {
            int[] grown = new int[Math.Max(sequence.Pages.Length * 2, sequence.PageCount + pagesNeeded)];
            sequence.Pages.AsSpan(0, sequence.PageCount).CopyTo(grown);
            sequence.Pages = grown;
        }

        for (int i = 0; i < pagesNeeded; i++)
        {
            sequence.Pages[sequence.PageCount++] = _freePages[--_freeCount];
        }
    }

    /// <summary>Returns all of the sequence's pages to the pool; the sequence can no longer be used.</summary>
    public void Free(KvSequence sequence)
    {
        if (!ReferenceEquals(sequence.Cache, this))
        {
            throw new ArgumentException("the sequence belongs to another KV cache", nameof(sequence));
        }

        if (sequence.IsFreed)
        {
            return;
        }

        for (int i = 0; i < sequence.PageCount; i++)
        {
            _freePages[_freeCount++] = sequence.Pages[i];
        }

        sequence.PageCount = 0;
        sequence.Length = 0;
        sequence.IsFreed = true;
    }

    /// <summary>Start of the cached entry (latent then rope key) of one token slot of one layer.</summary>
    internal byte* Entry(int page, int layer, int slot) =>
        _pool.Pointer + page * PageBytes + ((long)layer * PageSize + slot) * EntryDim * ElementSize;

    internal byte* EntryAt(KvSequence sequence, int layer, int position) =>
        Entry(sequence.Pages[position / PageSize], layer, position % PageSize);

    /// <summary>Stores one token's normalised latent and rotated rope key (converted to the element type).</summary>
    internal void Write(KvSequence sequence, int layer, int position, float* latent, float* rope)
    {
        byte* entry = EntryAt(sequence, layer, position);
        if (ElementType == KvCacheElementType.F32)
        {
            float* e = (float*)entry;
            new ReadOnlySpan<float>(latent, LatentDim).CopyTo(new Span<float>(e, LatentDim));
            new ReadOnlySpan<float>(rope, RopeDim).CopyTo(new Span<float>(e + LatentDim, RopeDim));
        }
        else
        {
            ushort* e = (ushort*)entry;
            for (int i = 0; i < LatentDim; i++)
            {
                e[i] = Bf16.Encode(latent[i]);
            }

            for (int i = 0; i < RopeDim; i++)
            {
                e[LatentDim + i] = Bf16.Encode(rope[i]);
            }
        }
    }

    /// <summary>
    /// Appends <paramref name="tokens"/> positions of random latents and rope keys (values in [-1, 1]) to a sequence
    /// whose pages are reserved. For benchmarks of decode at long context: a step's cost depends on how many entries
    /// attention reads, not on their values, and filling 8,192 positions by prefill would take minutes.
    /// </summary>
    public void AppendRandomEntries(KvSequence sequence, int tokens, int seed)
    {
        CheckOwned(sequence);
        if (sequence.Length + tokens > sequence.Capacity)
        {
            throw new ArgumentException($"sequence {sequence.Id} has room for {sequence.Capacity - sequence.Length} more tokens, not {tokens}", nameof(tokens));
        }

        var random = new Random(seed);
        float* entry = stackalloc float[EntryDim];
        for (int t = 0; t < tokens; t++)
        {
            for (int layer = 0; layer < Layers; layer++)
            {
                for (int i = 0; i < EntryDim; i++)
                {
                    entry[i] = random.NextSingle() * 2 - 1;
                }

                Write(sequence, layer, sequence.Length, entry, entry + LatentDim);
            }

            sequence.Length++;
        }
    }

    /// <summary>One token's cached entry (latent then rope key) as f32, for reference code.</summary>
    internal void ReadEntry(KvSequence sequence, int layer, int position, Span<float> target)
    {
        byte* entry = EntryAt(sequence, layer, position);
        for (int i = 0; i < EntryDim; i++)
        {
            target[i] = ElementType == KvCacheElementType.F32 ? ((float*)entry)[i] : Bf16.Decode(((ushort*)entry)[i]);
        }
    }

    private void CheckOwned(KvSequence sequence)
    {
        if (!ReferenceEquals(sequence.Cache, this))
        {
            throw new ArgumentException("the sequence belongs to another KV cache", nameof(sequence));
        }

        if (sequence.IsFreed)
        {
            throw new InvalidOperationException($"KV sequence {sequence.Id} was freed");
        }
    }

    public void Dispose() => _pool.Dispose();
}
