using Maas.Checkpoints;
using Maas.Engine.Checkpoints;
using Maas.Engine.Model;
using Xunit;

namespace Maas.Engine.Tests.Model;

/// <summary>The router against a direct, sort-based transcription of DeepSeek's gate code, for every method and weight rule.</summary>
public sealed class MoeRouterTests
{
    private static ModelConfig Config(string architecture, string method, string scoring, bool norm, int groups, int topkGroup, int k, double factor = 2.5) =>
        ModelConfig.Parse($$"""
        {"architectures": ["{{architecture}}"], "vocab_size": 8, "hidden_size": 8, "intermediate_size": 8,
         "moe_intermediate_size": 4, "num_hidden_layers": 2, "num_attention_heads": 1, "q_lora_rank": null,
         "kv_lora_rank": 4, "qk_nope_head_dim": 2, "qk_rope_head_dim": 2, "v_head_dim": 2,
         "n_routed_experts": 16, "num_experts_per_tok": {{k}}, "topk_method": "{{method}}",
         "scoring_func": "{{scoring}}", "norm_topk_prob": {{(norm ? "true" : "false")}},
         "n_group": {{groups}}, "topk_group": {{topkGroup}}, "routed_scaling_factor": {{factor}}}
        """);

    public static TheoryData<string, string, string, bool, int, int, int> Cases() => new()
    {
        { "DeepseekV2ForCausalLM", "greedy", "softmax", false, 1, 1, 6 },
        { "DeepseekV2ForCausalLM", "greedy", "softmax", true, 1, 1, 6 },
        { "DeepseekV2ForCausalLM", "group_limited_greedy", "softmax", false, 4, 2, 3 },
        { "DeepseekV2ForCausalLM", "group_limited_greedy", "softmax", true, 8, 3, 4 },
        { "DeepseekV3ForCausalLM", "noaux_tc", "sigmoid", true, 4, 2, 4 },
        { "DeepseekV3ForCausalLM", "noaux_tc", "sigmoid", false, 2, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Router_matches_the_reference_gate(string architecture, string method, string scoring, bool norm, int groups, int topkGroup, int k)
    {
        ModelConfig config = Config(architecture, method, scoring, norm, groups, topkGroup, k);
        var router = new MoeRouter(config);
        var rng = new Random(k * 100 + groups);
        for (int trial = 0; trial < 200; trial++)
        {
            float[] logits = Enumerable.Range(0, 16).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
            float[]? bias = method == "noaux_tc" ? Enumerable.Range(0, 16).Select(_ => (float)(rng.NextDouble() * 0.2 - 0.1)).ToArray() : null;
            var ids = new int[k];
            var weights = new float[k];
            router.Route(logits, bias, ids, weights);

            (int[] expectedIds, double[] expectedWeights) = Reference(config, logits, bias);
            Assert.Equal(expectedIds.Order().ToArray(), ids.Order().ToArray());
            for (int j = 0; j < k; j++)
            {
                int at = Array.IndexOf(expectedIds, ids[j]);
                Assert.Equal(expectedWeights[at], weights[j], 1e-5);
            }
        }
    }

    /// <summary>Transcribed from modeling_deepseek.py (V2 MoEGate) and DeepSeek-V3's Gate: sort-based, in double.</summary>
    private static (int[] Ids, double[] Weights) Reference(ModelConfig c, float[] logits, float[]? bias)
    {
        int n = logits.Length;
        double[] scores = c.ScoringFunction == ScoringFunction.Softmax
            ? logits.Select(l => Math.Exp(l - logits.Max())).Select((e, _) => e).ToArray()
            : logits.Select(l => 1 / (1 + Math.Exp(-l))).ToArray();
        if (c.ScoringFunction == ScoringFunction.Softmax)
        {
            double sum = scores.Sum();
            scores = scores.Select(s => s / sum).ToArray();
        }

        double[] choice = scores.Select((s, e) => s + (bias?[e] ?? 0)).ToArray();
        if (c.TopKMethod != TopKMethod.Greedy)
        {
            int size = n / c.NGroup;
            double[] groupScore = Enumerable.Range(0, c.NGroup).Select(g =>
            {
                IEnumerable<double> members = choice.Skip(g * size).Take(size).OrderDescending();
                return c.TopKMethod == TopKMethod.NoAuxTc ? members.Take(2).Sum() : members.First();
            }).ToArray();
            var kept = Enumerable.Range(0, c.NGroup).OrderByDescending(g => groupScore[g]).Take(c.TopKGroup).ToHashSet();
            for (int e = 0; e < n; e++)
            {
                if (!kept.Contains(e / size))
                {
                    choice[e] = double.NegativeInfinity;
                }
            }
        }

        int[] ids = Enumerable.Range(0, n).OrderByDescending(e => choice[e]).Take(c.NumExpertsPerTok).ToArray();
        double[] weights = ids.Select(e => scores[e]).ToArray();
        bool renormalise = c.NumExpertsPerTok > 1 && c.NormTopKProb;
        if (renormalise)
        {
            double sum = weights.Sum() + 1e-20;
            weights = weights.Select(w => w / sum).ToArray();
        }

        // V3's gate always scales; V2's only when it did not renormalise.
        if (c.Architecture == ModelArchitecture.DeepseekV3 || !renormalise)
        {
            weights = weights.Select(w => w * c.RoutedScalingFactor).ToArray();
        }

        return (ids, weights);
    }
}
