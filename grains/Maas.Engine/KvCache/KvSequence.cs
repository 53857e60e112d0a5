namespace Maas.Engine.KvCache;

/// <summary>One sequence's place in the paged KV cache: its pages in order and how many tokens are cached.</summary>
public sealed class KvSequence
{
    internal KvSequence(PagedKvCache cache, int id)
    {
        Cache = cache;
        Id = id;
    }

    public int Id { get; }

    /// <summary>Tokens whose latent is in the cache (the next token's position).</summary>
    public int Length { get; internal set; }

    /// <summary>Tokens the allocated pages can hold.</summary>
    public int Capacity => PageCount * Cache.PageSize;

    public bool IsFreed { get; internal set; }

    internal PagedKvCache Cache { get; }

    internal int[] Pages { get; set; } = new int[4];

    internal int PageCount { get; set; }
}
