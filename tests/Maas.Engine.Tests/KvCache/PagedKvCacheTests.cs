using Maas.Checkpoints;
using Maas.Engine.Checkpoints;
using Maas.Engine.KvCache;
using Xunit;

namespace Maas.Engine.Tests.KvCache;

public sealed class PagedKvCacheTests
{
    private static ModelConfig V2LiteShape(int layers = 27) => ModelConfig.Parse($$"""
        {"architectures": ["DeepseekV2ForCausalLM"], "vocab_size": 102400, "hidden_size": 2048,
         "intermediate_size": 10944, "moe_intermediate_size": 1408, "num_hidden_layers": {{layers}},
         "num_attention_heads": 16, "q_lora_rank": null, "kv_lora_rank": 512, "qk_nope_head_dim": 128,
         "qk_rope_head_dim": 64, "v_head_dim": 128, "n_routed_experts": 64, "n_shared_experts": 2,
         "num_experts_per_tok": 6, "first_k_dense_replace": 1}
        """);

    [Fact]
    public void Bytes_per_token_of_DeepSeek_V2_Lite_is_31104_in_bf16()
    {
        ModelConfig config = V2LiteShape();
        Assert.Equal(31_104, PagedKvCache.ComputeBytesPerToken(config, KvCacheElementType.Bf16));
        Assert.Equal(62_208, PagedKvCache.ComputeBytesPerToken(config, KvCacheElementType.F32));
        using var cache = new PagedKvCache(config, 2, KvCacheElementType.Bf16);
        Assert.Equal(31_104, cache.BytesPerToken);
        Assert.Equal(2L * 16 * 31_104, cache.TotalBytes);
    }

    [Fact]
    public void Pages_are_allocated_on_demand_freed_and_reused()
    {
        using var cache = new PagedKvCache(V2LiteShape(2), 4, KvCacheElementType.F32, pageSize: 16);
        KvSequence a = cache.CreateSequence();
        KvSequence b = cache.CreateSequence();
        cache.Reserve(a, 1);
        Assert.Equal(3, cache.FreePages);
        cache.Reserve(a, 16);
        Assert.Equal(3, cache.FreePages);
        cache.Reserve(a, 17);
        Assert.Equal(2, cache.FreePages);
        Assert.Equal(32, a.Capacity);
        cache.Reserve(b, 32);
        Assert.Equal(0, cache.FreePages);

        var e = Assert.Throws<KvCacheExhaustedException>(() => cache.Reserve(a, 33));
        Assert.Equal(1, e.PagesNeeded);
        Assert.Equal(32, a.Capacity);

        cache.Free(b);
        Assert.Equal(2, cache.FreePages);
        Assert.True(b.IsFreed);
        Assert.Throws<InvalidOperationException>(() => cache.Reserve(b, 1));
        cache.Reserve(a, 64);
        Assert.Equal(0, cache.FreePages);
        cache.Free(a);
        Assert.Equal(4, cache.FreePages);
    }

    [Fact]
    public void All_or_nothing_when_a_reservation_does_not_fit()
    {
        using var cache = new PagedKvCache(V2LiteShape(2), 3, KvCacheElementType.Bf16);
        KvSequence a = cache.CreateSequence();
        Assert.Throws<KvCacheExhaustedException>(() => cache.Reserve(a, 4 * 16));
        Assert.Equal(3, cache.FreePages);
        Assert.Equal(0, a.Capacity);
    }
}
