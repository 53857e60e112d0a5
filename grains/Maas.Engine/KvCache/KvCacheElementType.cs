namespace Maas.Engine.KvCache;

/// <summary>Element type of the cached latent: F32 for exact checks, BF16 to halve memory when serving.</summary>
public enum KvCacheElementType
{
    F32,
    Bf16,
}
