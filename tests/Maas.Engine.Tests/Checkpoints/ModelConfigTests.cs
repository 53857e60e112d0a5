using Maas.Checkpoints;
using Maas.Engine.Checkpoints;
using Maas.Engine.Tests.TestSupport;
using Maas.Testing;
using Xunit;

namespace Maas.Engine.Tests.Checkpoints;

public sealed class ModelConfigTests
{
    private const string V2Lite = """
        {"architectures": ["DeepseekV2ForCausalLM"], "vocab_size": 102400, "hidden_size": 2048,
         "intermediate_size": 10944, "moe_intermediate_size": 1408, "num_hidden_layers": 27,
         "num_attention_heads": 16, "q_lora_rank": null, "kv_lora_rank": 512, "qk_nope_head_dim": 128,
         "qk_rope_head_dim": 64, "v_head_dim": 128, "first_k_dense_replace": 1, "moe_layer_freq": 1,
         "n_routed_experts": 64, "n_shared_experts": 2, "num_experts_per_tok": 6, "topk_method": "greedy",
         "scoring_func": "softmax", "norm_topk_prob": false, "routed_scaling_factor": 1.0, "rms_norm_eps": 1e-6,
         "rope_theta": 10000, "max_position_embeddings": 163840, "tie_word_embeddings": false,
         "bos_token_id": 100000, "eos_token_id": 100001, "n_group": 1, "topk_group": 1,
         "rope_scaling": {"type": "yarn", "factor": 40, "original_max_position_embeddings": 4096,
           "beta_fast": 32, "beta_slow": 1, "mscale": 0.707, "mscale_all_dim": 0.707}}
        """;

    [Fact]
    public void Parses_the_DeepSeek_V2_Lite_config()
    {
        ModelConfig c = ModelConfig.Parse(V2Lite);
        Assert.Equal(ModelArchitecture.DeepseekV2, c.Architecture);
        Assert.Null(c.QLoraRank);
        Assert.Equal(576, c.KvEntryDim);
        Assert.Equal(TopKMethod.Greedy, c.TopKMethod);
        Assert.Equal(ScoringFunction.Softmax, c.ScoringFunction);
        Assert.False(c.IsMoeLayer(0));
        Assert.True(c.IsMoeLayer(1));
        Assert.Equal(40, c.RopeScaling!.Factor);
        Assert.Equal(0.707, c.RopeScaling.MscaleAllDim);
        Assert.Equal([100001], c.EosTokenIds);
        Assert.True(c.ScaleRoutedWeights);
    }

    [Fact]
    public void V2_Lite_softmax_scale_is_0_114721()
    {
        var rope = new Maas.Engine.Model.RotaryEmbedding(ModelConfig.Parse(V2Lite));
        Assert.Equal(0.114721, rope.SoftmaxScale, 5);
    }

    [Fact]
    public void Eos_may_be_a_list_and_v3_defaults_apply()
    {
        string json = File.ReadAllText(TestEnvironment.Fixture("golden", "deepseek3-tiny-c", "config.json"))
            .Replace("\"eos_token_id\": 1", "\"eos_token_id\": [1, 7]");
        ModelConfig c = ModelConfig.Parse(json);
        Assert.Equal([1, 7], c.EosTokenIds);
        Assert.Equal(ModelArchitecture.DeepseekV3, c.Architecture);
        Assert.Equal(48, c.QLoraRank);
        Assert.Equal(TopKMethod.NoAuxTc, c.TopKMethod);
        Assert.True(c.ScaleRoutedWeights);
    }

    [Fact]
    public void V2_renormalising_router_does_not_scale()
    {
        ModelConfig c = ModelConfig.Parse(V2Lite.Replace("\"norm_topk_prob\": false", "\"norm_topk_prob\": true"));
        Assert.False(c.ScaleRoutedWeights);
    }

    [Theory]
    [InlineData("\"hidden_size\": 2048,", "hidden_size")]
    [InlineData("\"q_lora_rank\": null,", "q_lora_rank")]
    [InlineData("\"topk_method\": \"greedy\"", "\"topk_method\": \"bogus\"", "topk_method")]
    [InlineData("\"scoring_func\": \"softmax\"", "\"scoring_func\": \"tanh\"", "scoring_func")]
    [InlineData("\"num_experts_per_tok\": 6", "\"num_experts_per_tok\": 99", "num_experts_per_tok")]
    [InlineData("\"qk_rope_head_dim\": 64", "\"qk_rope_head_dim\": 63", "qk_rope_head_dim")]
    [InlineData("\"type\": \"yarn\"", "\"type\": \"dynamic\"", "rope_scaling")]
    public void Invalid_fields_are_named(string find, string replaceOrField, string? field = null)
    {
        string json = field is null ? V2Lite.Replace(find, string.Empty) : V2Lite.Replace(find, replaceOrField);
        Assert.NotEqual(V2Lite, json);
        var e = Assert.Throws<CheckpointException>(() => ModelConfig.Parse(json));
        Assert.Contains(field ?? replaceOrField, e.Message);
    }
}
