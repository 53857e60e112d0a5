namespace Maas.Engine.Tools.Checkpoints;

/// <summary>Model shapes for random checkpoints (demos, benchmarks): config.json fields by name.</summary>
public static class CheckpointShape
{
    public const string Tiny = "tiny";
    public const string DeepseekV2Lite = "deepseek-v2-lite";
    public const string DeepseekV3 = "deepseek-v3";

    /// <summary>
    /// The vocabulary of the shipped DeepSeek-V3 tokenizer (128,815 ids, padded to 129,280 as in V3). The
    /// V2-Lite shape uses it too, because that is the tokenizer random checkpoints carry.
    /// </summary>
    public const int TokenizerVocab = 129280;

    public static IReadOnlyList<string> Names { get; } = [Tiny, DeepseekV2Lite, DeepseekV3];

    /// <summary>The config.json content for a shape; <paramref name="layers"/> 0 keeps the shape's own count.</summary>
    public static Dictionary<string, object?> Config(string shape, int layers)
    {
        var config = shape switch
        {
            Tiny => new Dictionary<string, object?>
            {
                ["architectures"] = new[] { "DeepseekV2ForCausalLM" },
                ["model_type"] = "deepseek_v2",
                ["vocab_size"] = TokenizerVocab,
                ["hidden_size"] = 256,
                ["intermediate_size"] = 512,
                ["moe_intermediate_size"] = 128,
                ["num_hidden_layers"] = 2,
                ["num_attention_heads"] = 4,
                ["num_key_value_heads"] = 4,
                ["q_lora_rank"] = null,
                ["kv_lora_rank"] = 64,
                ["qk_nope_head_dim"] = 32,
                ["qk_rope_head_dim"] = 16,
                ["v_head_dim"] = 32,
                ["n_routed_experts"] = 16,
                ["n_shared_experts"] = 1,
                ["num_experts_per_tok"] = 4,
                ["first_k_dense_replace"] = 1,
                ["moe_layer_freq"] = 1,
                ["topk_method"] = "greedy",
                ["n_group"] = 1,
                ["topk_group"] = 1,
                ["scoring_func"] = "softmax",
                ["norm_topk_prob"] = false,
                ["routed_scaling_factor"] = 1.0,
                ["max_position_embeddings"] = 4096,
                ["rope_theta"] = 10000.0,
                ["rope_scaling"] = null,
            },
            DeepseekV2Lite => new Dictionary<string, object?>
            {
                ["architectures"] = new[] { "DeepseekV2ForCausalLM" },
                ["model_type"] = "deepseek_v2",
                ["vocab_size"] = TokenizerVocab,
                ["hidden_size"] = 2048,
                ["intermediate_size"] = 10944,
                ["moe_intermediate_size"] = 1408,
                ["num_hidden_layers"] = 27,
                ["num_attention_heads"] = 16,
                ["num_key_value_heads"] = 16,
                ["q_lora_rank"] = null,
                ["kv_lora_rank"] = 512,
                ["qk_nope_head_dim"] = 128,
                ["qk_rope_head_dim"] = 64,
                ["v_head_dim"] = 128,
                ["n_routed_experts"] = 64,
                ["n_shared_experts"] = 2,
                ["num_experts_per_tok"] = 6,
                ["first_k_dense_replace"] = 1,
                ["moe_layer_freq"] = 1,
                ["topk_method"] = "greedy",
                ["n_group"] = 1,
                ["topk_group"] = 1,
                ["scoring_func"] = "softmax",
                ["norm_topk_prob"] = false,
                ["routed_scaling_factor"] = 1.0,
                ["max_position_embeddings"] = 163840,
                ["rope_theta"] = 10000.0,
                ["rope_scaling"] = new Dictionary<string, object?>
                {
                    ["type"] = "yarn",
                    ["factor"] = 40.0,
                    ["original_max_position_embeddings"] = 4096,
                    ["beta_fast"] = 32.0,
                    ["beta_slow"] = 1.0,
                    ["mscale"] = 0.707,
                    ["mscale_all_dim"] = 0.707,
                },
            },
            DeepseekV3 => new Dictionary<string, object?>
            {
                ["architectures"] = new[] { "DeepseekV3ForCausalLM" },
                ["model_type"] = "deepseek_v3",
                ["vocab_size"] = TokenizerVocab,
                ["hidden_size"] = 7168,
                ["intermediate_size"] = 18432,
                ["moe_intermediate_size"] = 2048,
                ["num_hidden_layers"] = 61,
                ["num_attention_heads"] = 128,
                ["num_key_value_heads"] = 128,
                ["q_lora_rank"] = 1536,
                ["kv_lora_rank"] = 512,
                ["qk_nope_head_dim"] = 128,
                ["qk_rope_head_dim"] = 64,
                ["v_head_dim"] = 128,
                ["n_routed_experts"] = 256,
                ["n_shared_experts"] = 1,
                ["num_experts_per_tok"] = 8,
                ["first_k_dense_replace"] = 3,
                ["moe_layer_freq"] = 1,
                ["topk_method"] = "noaux_tc",
                ["n_group"] = 8,
                ["topk_group"] = 4,
                ["scoring_func"] = "sigmoid",
                ["norm_topk_prob"] = true,
                ["routed_scaling_factor"] = 2.5,
                ["max_position_embeddings"] = 163840,
                ["rope_theta"] = 10000.0,
                ["num_nextn_predict_layers"] = 0,
                ["rope_scaling"] = new Dictionary<string, object?>
                {
                    ["type"] = "yarn",
                    ["factor"] = 40.0,
                    ["original_max_position_embeddings"] = 4096,
                    ["beta_fast"] = 32.0,
                    ["beta_slow"] = 1.0,
                    ["mscale"] = 1.0,
                    ["mscale_all_dim"] = 1.0,
                },
            },
            _ => throw new ArgumentException($"Unknown shape '{shape}'; known shapes: {string.Join(", ", Names)}.", nameof(shape)),
        };

        if (layers > 0)
        {
            config["num_hidden_layers"] = layers;
        }

        config["bos_token_id"] = 0;
        config["eos_token_id"] = 1;
        config["rms_norm_eps"] = 1e-6;
        config["tie_word_embeddings"] = false;
        config["hidden_act"] = "silu";
        config["torch_dtype"] = "bfloat16";
        return config;
    }
}
