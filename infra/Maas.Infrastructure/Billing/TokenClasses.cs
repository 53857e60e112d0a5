namespace Maas.Infrastructure.Billing;

/// <summary>The token classes an invoice line can bill (DeepSeek's pricing: cache-miss input, cache-hit input, output).</summary>
public static class TokenClasses
{
    public const string InputCacheMiss = "input_cache_miss";
    public const string InputCacheHit = "input_cache_hit";
    public const string Output = "output";
}
