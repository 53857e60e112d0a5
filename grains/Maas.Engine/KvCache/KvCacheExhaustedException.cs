namespace Maas.Engine.KvCache;

/// <summary>No free KV pages are left; the scheduler should preempt or queue a sequence and retry.</summary>
public sealed class KvCacheExhaustedException : Exception
{
    public KvCacheExhaustedException(int pagesNeeded, int pagesFree)
        : base($"KV cache exhausted: {pagesNeeded} more page(s) needed, {pagesFree} free")
    {
        PagesNeeded = pagesNeeded;
        PagesFree = pagesFree;
    }

    public int PagesNeeded { get; }

    public int PagesFree { get; }
}
