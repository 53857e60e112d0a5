using System.Text.Json;

namespace Maas.Checkpoints;

/// <summary>Every config.json field of a DeepSeek-V2/V3 checkpoint that changes the math.</summary>
public sealed class ModelConfig
{
    public required ModelArchitecture Architecture { get; init; }
    public required string ArchitectureName { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int MoeIntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }

    /// <summary>Null: plain q_proj. Set: q_a_proj + q_a_layernorm + q_b_proj.</summary>
    public required int? QLoraRank { get; init; }
    public required int KvLoraRank { get; init; }
    public required int QkNopeHeadDim { get; init; }
    public required int QkRopeHeadDim { get; init; }
    public required int VHeadDim { get; init; }
    public required double RopeTheta { get; init; }
    public required YarnRopeScaling? RopeScaling { get; init; }
    public required int MaxPositionEmbeddings { get; init; }
    public required int FirstKDenseReplace { get; init; }
    public required int MoeLayerFreq { get; init; }

    /// <summary>0 when the model has no MoE layers (n_routed_experts null).</summary>
    public required int NRoutedExperts { get; init; }
    public required int NSharedExperts { get; init; }
    public required int NumExpertsPerTok { get; init; }
    public required int NGroup { get; init; }
    public required int TopKGroup { get; init; }
    public required TopKMethod TopKMethod { get; init; }
    public required ScoringFunction ScoringFunction { get; init; }
    public required bool NormTopKProb { get; init; }
    public required double RoutedScalingFactor { get; init; }
    public required double RmsNormEps { get; init; }
    public required bool TieWordEmbeddings { get; init; }
    public required IReadOnlyList<int> BosTokenIds { get; init; }
    public required IReadOnlyList<int> EosTokenIds { get; init; }
    public required int NumNextNPredictLayers { get; init; }

    public int QHeadDim => QkNopeHeadDim + QkRopeHeadDim;

    /// <summary>Values cached per token per layer: the normalised latent plus the rotated shared rope key.</summary>
    public int KvEntryDim => KvLoraRank + QkRopeHeadDim;

    /// <summary>
    /// The context length served: max_position_embeddings, capped by <paramref name="maxContextLength"/> when
    /// that is positive. The one rule for the engine and for services that only read config.json.
    /// </summary>
    public int ContextLength(int maxContextLength) =>
        maxContextLength > 0 ? Math.Min(maxContextLength, MaxPositionEmbeddings) : MaxPositionEmbeddings;

    public bool IsMoeLayer(int layer) =>
        NRoutedExperts > 0 && layer >= FirstKDenseReplace && layer % MoeLayerFreq == 0;

    /// <summary>V3 always multiplies routed weights by routed_scaling_factor; V2 only when it does not renormalise.</summary>
    public bool ScaleRoutedWeights =>
        Architecture == ModelArchitecture.DeepseekV3 || !(NumExpertsPerTok > 1 && NormTopKProb);

    public static ModelConfig Load(string folder)
    {
        string path = Path.Combine(folder, "config.json");
        if (!File.Exists(path))
        {
            throw new CheckpointException($"config.json not found in '{folder}'");
        }

        return Parse(File.ReadAllText(path));
    }

    public static ModelConfig Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"config.json is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException("config.json: the root must be a JSON object");
            }

            return FromJson(root);
        }
    }

    private static ModelConfig FromJson(JsonElement root)
    {
        string architectureName = ReadArchitecture(root);
        ModelArchitecture architecture = architectureName switch
        {
            "DeepseekV2ForCausalLM" => ModelArchitecture.DeepseekV2,
            "DeepseekV3ForCausalLM" => ModelArchitecture.DeepseekV3,
            _ => throw new CheckpointException(
                $"config.json: architecture '{architectureName}' is not supported (supported: DeepseekV2ForCausalLM, DeepseekV3ForCausalLM)"),
        };
        bool v3 = architecture == ModelArchitecture.DeepseekV3;

        int? nRouted = OptionalInt(root, "n_routed_experts");
        string topk = OptionalString(root, "topk_method") ?? (v3 ? "noaux_tc" : "greedy");
        string scoring = OptionalString(root, "scoring_func") ?? (v3 ? "sigmoid" : "softmax");

        var config = new ModelConfig
        {
            Architecture = architecture,
            ArchitectureName = architectureName,
            VocabSize = RequiredInt(root, "vocab_size"),
            HiddenSize = RequiredInt(root, "hidden_size"),
            IntermediateSize = RequiredInt(root, "intermediate_size"),
            MoeIntermediateSize = OptionalInt(root, "moe_intermediate_size") ?? 0,
            NumHiddenLayers = RequiredInt(root, "num_hidden_layers"),
            NumAttentionHeads = RequiredInt(root, "num_attention_heads"),
            QLoraRank = RequiredNullableInt(root, "q_lora_rank"),
            KvLoraRank = RequiredInt(root, "kv_lora_rank"),
            QkNopeHeadDim = RequiredInt(root, "qk_nope_head_dim"),
            QkRopeHeadDim = RequiredInt(root, "qk_rope_head_dim"),
            VHeadDim = RequiredInt(root, "v_head_dim"),
            RopeTheta = OptionalDouble(root, "rope_theta") ?? 10000.0,
            RopeScaling = ReadRopeScaling(root),
            MaxPositionEmbeddings = OptionalInt(root, "max_position_embeddings") ?? 2048,
            FirstKDenseReplace = OptionalInt(root, "first_k_dense_replace") ?? 0,
            MoeLayerFreq = OptionalInt(root, "moe_layer_freq") ?? 1,
            NRoutedExperts = nRouted ?? 0,
            NSharedExperts = OptionalInt(root, "n_shared_experts") ?? 0,
            NumExpertsPerTok = OptionalInt(root, "num_experts_per_tok") ?? 0,
            NGroup = OptionalInt(root, "n_group") ?? 1,
            TopKGroup = OptionalInt(root, "topk_group") ?? 1,
            TopKMethod = topk switch
            {
                "greedy" or "gready" => TopKMethod.Greedy,
                "group_limited_greedy" => TopKMethod.GroupLimitedGreedy,
                "noaux_tc" => TopKMethod.NoAuxTc,
                _ => throw new CheckpointException($"config.json: topk_method '{topk}' is not supported (greedy, group_limited_greedy, noaux_tc)"),
            },
            ScoringFunction = scoring switch
            {
                "softmax" => ScoringFunction.Softmax,
                "sigmoid" => ScoringFunction.Sigmoid,
                _ => throw new CheckpointException($"config.json: scoring_func '{scoring}' is not supported (softmax, sigmoid)"),
            },
            NormTopKProb = OptionalBool(root, "norm_topk_prob") ?? v3,
            RoutedScalingFactor = OptionalDouble(root, "routed_scaling_factor") ?? 1.0,
            RmsNormEps = OptionalDouble(root, "rms_norm_eps") ?? 1e-6,
            TieWordEmbeddings = OptionalBool(root, "tie_word_embeddings") ?? false,
            BosTokenIds = IntOrList(root, "bos_token_id"),
            EosTokenIds = IntOrList(root, "eos_token_id"),
            NumNextNPredictLayers = OptionalInt(root, "num_nextn_predict_layers") ?? 0,
        };
        config.Validate();
        return config;
    }

    private void Validate()
    {
        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(IntermediateSize, "intermediate_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(KvLoraRank, "kv_lora_rank");
        Positive(QkNopeHeadDim, "qk_nope_head_dim");
        Positive(QkRopeHeadDim, "qk_rope_head_dim");
        Positive(VHeadDim, "v_head_dim");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        Positive(MoeLayerFreq, "moe_layer_freq");
        if (QLoraRank is int q)
        {
            Positive(q, "q_lora_rank");
        }

        if (QkRopeHeadDim % 2 != 0)
        {
            throw new CheckpointException($"config.json: qk_rope_head_dim must be even, got {QkRopeHeadDim}");
        }

        if (RopeTheta <= 0)
        {
            throw new CheckpointException($"config.json: rope_theta must be positive, got {RopeTheta}");
        }

        if (RmsNormEps <= 0)
        {
            throw new CheckpointException($"config.json: rms_norm_eps must be positive, got {RmsNormEps}");
        }

        if (NRoutedExperts < 0)
        {
            throw new CheckpointException($"config.json: n_routed_experts must not be negative, got {NRoutedExperts}");
        }

        if (NRoutedExperts > 0)
        {
            Positive(MoeIntermediateSize, "moe_intermediate_size");
            if (NumExpertsPerTok < 1 || NumExpertsPerTok > NRoutedExperts)
            {
                throw new CheckpointException(
                    $"config.json: num_experts_per_tok must be in 1..n_routed_experts ({NRoutedExperts}), got {NumExpertsPerTok}");
            }

            if (TopKMethod != TopKMethod.Greedy)
            {
                if (NGroup < 1 || NRoutedExperts % NGroup != 0)
                {
                    throw new CheckpointException($"config.json: n_group ({NGroup}) must divide n_routed_experts ({NRoutedExperts})");
                }

                if (TopKGroup < 1 || TopKGroup > NGroup)
                {
                    throw new CheckpointException($"config.json: topk_group must be in 1..n_group ({NGroup}), got {TopKGroup}");
                }

                if (TopKGroup * (NRoutedExperts / NGroup) < NumExpertsPerTok)
                {
                    throw new CheckpointException(
                        $"config.json: topk_group ({TopKGroup}) groups of {NRoutedExperts / NGroup} experts cannot supply num_experts_per_tok ({NumExpertsPerTok})");
                }

                if (TopKMethod == TopKMethod.NoAuxTc && NRoutedExperts / NGroup < 2)
                {
                    throw new CheckpointException("config.json: noaux_tc scores a group by its top-2 experts, so each group needs at least 2 (n_routed_experts / n_group)");
                }
            }
        }

        if (NSharedExperts < 0)
        {
            throw new CheckpointException($"config.json: n_shared_experts must not be negative, got {NSharedExperts}");
        }

        if (NSharedExperts > 0)
        {
            Positive(MoeIntermediateSize, "moe_intermediate_size");
        }

        if (RopeScaling is { } yarn)
        {
            if (yarn.Factor <= 0 || yarn.OriginalMaxPositionEmbeddings <= 0)
            {
                throw new CheckpointException("config.json: rope_scaling.factor and original_max_position_embeddings must be positive");
            }
        }
    }

    private static void Positive(int value, string field)
    {
        if (value <= 0)
        {
            throw new CheckpointException($"config.json: {field} must be positive, got {value}");
        }
    }

    private static string ReadArchitecture(JsonElement root)
    {
        if (!root.TryGetProperty("architectures", out JsonElement archs) || archs.ValueKind != JsonValueKind.Array || archs.GetArrayLength() == 0)
        {
            throw new CheckpointException("config.json: field 'architectures' (a non-empty list) is missing");
        }

        JsonElement first = archs[0];
        if (first.ValueKind != JsonValueKind.String)
        {
            throw new CheckpointException("config.json: field 'architectures' must hold strings");
        }

        return first.GetString()!;
    }

    private static YarnRopeScaling? ReadRopeScaling(JsonElement root)
    {
        if (!root.TryGetProperty("rope_scaling", out JsonElement s) || s.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (s.ValueKind != JsonValueKind.Object)
        {
            throw new CheckpointException("config.json: rope_scaling must be null or an object");
        }

        string? type = OptionalString(s, "type") ?? OptionalString(s, "rope_type");
        if (type != "yarn")
        {
            throw new CheckpointException($"config.json: rope_scaling type '{type}' is not supported (only null or yarn)");
        }

        return new YarnRopeScaling(
            Factor: OptionalDouble(s, "factor") ?? throw new CheckpointException("config.json: rope_scaling.factor is missing"),
            OriginalMaxPositionEmbeddings: OptionalInt(s, "original_max_position_embeddings") ?? 4096,
            BetaFast: OptionalDouble(s, "beta_fast") ?? 32,
            BetaSlow: OptionalDouble(s, "beta_slow") ?? 1,
            Mscale: OptionalDouble(s, "mscale") ?? 1,
            MscaleAllDim: OptionalDouble(s, "mscale_all_dim") ?? 0);
    }

    private static int RequiredInt(JsonElement root, string name) =>
        OptionalInt(root, name) ?? throw new CheckpointException($"config.json: required field '{name}' is missing or null");

    private static int? RequiredNullableInt(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out _))
        {
            throw new CheckpointException($"config.json: required field '{name}' is missing (use null to say it is not set)");
        }

        return OptionalInt(root, name);
    }

    private static int? OptionalInt(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v))
        {
            return v;
        }

        if (e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out double d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue)
        {
            return (int)d;
        }

        throw new CheckpointException($"config.json: field '{name}' must be an integer, got {e.GetRawText()}");
    }

    private static double? OptionalDouble(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (e.ValueKind == JsonValueKind.Number)
        {
            return e.GetDouble();
        }

        throw new CheckpointException($"config.json: field '{name}' must be a number, got {e.GetRawText()}");
    }

    private static bool? OptionalBool(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return e.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new CheckpointException($"config.json: field '{name}' must be true or false, got {e.GetRawText()}"),
        };
    }

    private static string? OptionalString(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (e.ValueKind != JsonValueKind.String)
        {
            throw new CheckpointException($"config.json: field '{name}' must be a string, got {e.GetRawText()}");
        }

        return e.GetString();
    }

    private static IReadOnlyList<int> IntOrList(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (e.ValueKind == JsonValueKind.Array)
        {
            var ids = new List<int>();
            foreach (JsonElement item in e.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out int id))
                {
                    throw new CheckpointException($"config.json: field '{name}' must be an integer or a list of integers");
                }

                ids.Add(id);
            }

            return ids;
        }

        return [OptionalInt(root, name)!.Value];
    }
}
