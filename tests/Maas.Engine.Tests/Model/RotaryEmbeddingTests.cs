using Maas.Checkpoints;
using Maas.Engine.Checkpoints;
using Maas.Engine.Model;
using Xunit;

namespace Maas.Engine.Tests.Model;

/// <summary>YaRN as DeepSeek's DeepseekV2YarnRotaryEmbedding computes it, checked value by value.</summary>
public sealed unsafe class RotaryEmbeddingTests
{
    private static ModelConfig Config(string ropeScaling) => ModelConfig.Parse($$"""
        {"architectures": ["DeepseekV3ForCausalLM"], "vocab_size": 8, "hidden_size": 8, "intermediate_size": 8,
         "num_hidden_layers": 1, "num_attention_heads": 1, "q_lora_rank": null, "kv_lora_rank": 4,
         "qk_nope_head_dim": 32, "qk_rope_head_dim": 16, "v_head_dim": 4, "rope_theta": 10000,
         "rope_scaling": {{ropeScaling}}}
        """);

    [Fact]
    public void Without_scaling_frequencies_are_theta_powers_and_scale_is_inverse_sqrt_head_dim()
    {
        var rope = new RotaryEmbedding(Config("null"));
        Assert.Equal(1 / Math.Sqrt(48), rope.SoftmaxScale, 6);
        Assert.Equal(1f, rope.CosSinScale);
        float* cos = stackalloc float[8];
        float* sin = stackalloc float[8];
        rope.Fill(5, cos, sin);
        for (int i = 0; i < 8; i++)
        {
            double angle = 5 / Math.Pow(10000, 2.0 * i / 16);
            Assert.Equal(Math.Cos(angle), cos[i], 5);
            Assert.Equal(Math.Sin(angle), sin[i], 5);
        }
    }

    [Fact]
    public void Yarn_blends_frequencies_over_the_correction_range_and_scales()
    {
        // factor 4, original 64, beta 32/1 on 16 dims: correction range [0, 3] (deepseek3-tiny-c README);
        // mscale 0.8 vs mscale_all_dim 0.6 makes the cos/sin scale differ from 1.
        var rope = new RotaryEmbedding(Config("""
            {"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64, "beta_fast": 32, "beta_slow": 1,
             "mscale": 0.8, "mscale_all_dim": 0.6}
            """));
        double m = 0.1 * 0.8 * Math.Log(4) + 1, mAll = 0.1 * 0.6 * Math.Log(4) + 1;
        Assert.Equal(m / mAll, rope.CosSinScale, 6);
        Assert.Equal(mAll * mAll / Math.Sqrt(48), rope.SoftmaxScale, 6);

        float* cos = stackalloc float[8];
        float* sin = stackalloc float[8];
        rope.Fill(1, cos, sin);
        for (int i = 0; i < 8; i++)
        {
            double extrapolation = 1 / Math.Pow(10000, 2.0 * i / 16);
            double ramp = Math.Clamp((i - 0) / 3.0, 0, 1);
            double freq = extrapolation / 4 * ramp + extrapolation * (1 - ramp);
            Assert.Equal(Math.Cos(freq) * m / mAll, cos[i], 5);
            Assert.Equal(Math.Sin(freq) * m / mAll, sin[i], 5);
        }
    }
}
