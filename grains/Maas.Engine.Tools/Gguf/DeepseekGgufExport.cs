using System.Runtime.InteropServices;
using System.Text.Json;
using Maas.Checkpoints;
using Maas.Engine.Checkpoints;
using Maas.Engine.Weights;
using Maas.Tokenization;

namespace Maas.Engine.Tools.Gguf;

/// <summary>
/// Exports a DeepSeek-V2/V3 checkpoint as a llama.cpp "deepseek2" GGUF with Q8_0 matrices, so the same
/// weights can be run by llama.cpp: the engine's benchmark yardstick ("faster than the best CPU engine at
/// the same bits per weight"). Names, shapes and metadata follow llama.cpp's own converter: routed experts
/// stacked into one 3-D tensor per projection, kv_b_proj split into per-head k_b (transposed) and v_b for
/// its absorbed MLA, norms and the router in F32. The multi-token-prediction layer is not exported.
/// </summary>
public static class DeepseekGgufExport
{
    /// <summary>Writes <paramref name="outputPath"/>; returns the number of tensors written.</summary>
    /// <param name="progress">Told the fraction of tensor data written (reading and converting the checkpoint is most of the time).</param>
    public static int Write(string checkpointFolder, string outputPath, CancellationToken cancellationToken = default, IProgress<double>? progress = null)
    {
        ModelConfig c = ModelConfig.Load(checkpointFolder);
        for (int i = c.FirstKDenseReplace; i < c.NumHiddenLayers; i++)
        {
            if (!c.IsMoeLayer(i))
            {
                // llama.cpp's deepseek2 knows only leading dense layers (moe_layer_freq 1).
                throw new CheckpointException($"layer {i} is dense after first_k_dense_replace={c.FirstKDenseReplace} (moe_layer_freq={c.MoeLayerFreq}); llama.cpp's deepseek2 format cannot express that");
            }
        }

        using Checkpoint checkpoint = Checkpoint.Open(checkpointFolder);
        var gguf = new GgufWriter();
        AddMetadata(gguf, c);
        AddTokenizer(gguf, c, checkpointFolder);
        AddTensors(gguf, c, checkpoint);

        string temporary = outputPath + ".partial";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            gguf.WriteTo(file, cancellationToken, progress);
        }

        File.Move(temporary, outputPath, overwrite: true);
        return gguf.TensorCount;
    }

    private static void AddMetadata(GgufWriter gguf, ModelConfig c)
    {
        const string a = "deepseek2";
        gguf.Add("general.architecture", a);
        gguf.Add("general.name", c.ArchitectureName);
        gguf.Add("general.file_type", 7u); // LLAMA_FTYPE_MOSTLY_Q8_0
        gguf.Add($"{a}.vocab_size", (uint)c.VocabSize);
        gguf.Add($"{a}.context_length", (uint)c.MaxPositionEmbeddings);
        gguf.Add($"{a}.embedding_length", (uint)c.HiddenSize);
        gguf.Add($"{a}.feed_forward_length", (uint)c.IntermediateSize);
        gguf.Add($"{a}.block_count", (uint)c.NumHiddenLayers);
        gguf.Add($"{a}.attention.head_count", (uint)c.NumAttentionHeads);

        // llama.cpp runs MLA as one shared "KV head" of the latent (kv_lora + rope) and decompresses per head.
        gguf.Add($"{a}.attention.head_count_kv", 1u);
        gguf.Add($"{a}.attention.layer_norm_rms_epsilon", (float)c.RmsNormEps);
        gguf.Add($"{a}.attention.q_lora_rank", (uint)(c.QLoraRank ?? 0));
        gguf.Add($"{a}.attention.kv_lora_rank", (uint)c.KvLoraRank);
        gguf.Add($"{a}.attention.key_length", (uint)c.KvEntryDim);
        gguf.Add($"{a}.attention.value_length", (uint)c.KvLoraRank);
        gguf.Add($"{a}.attention.key_length_mla", (uint)c.QHeadDim);
        gguf.Add($"{a}.attention.value_length_mla", (uint)c.VHeadDim);
        gguf.Add($"{a}.rope.dimension_count", (uint)c.QkRopeHeadDim);
        gguf.Add($"{a}.rope.freq_base", (float)c.RopeTheta);
        gguf.Add($"{a}.leading_dense_block_count", (uint)c.FirstKDenseReplace);
        gguf.Add($"{a}.expert_feed_forward_length", (uint)c.MoeIntermediateSize);
        gguf.Add($"{a}.expert_count", (uint)c.NRoutedExperts);
        gguf.Add($"{a}.expert_used_count", (uint)c.NumExpertsPerTok);
        gguf.Add($"{a}.expert_shared_count", (uint)c.NSharedExperts);
        gguf.Add($"{a}.expert_weights_scale", (float)c.RoutedScalingFactor);
        gguf.Add($"{a}.expert_weights_norm", c.NormTopKProb);
        gguf.Add($"{a}.expert_gating_func", c.ScoringFunction == ScoringFunction.Sigmoid ? 2u : 1u);
        if (c.NGroup > 1)
        {
            gguf.Add($"{a}.expert_group_count", (uint)c.NGroup);
            gguf.Add($"{a}.expert_group_used_count", (uint)c.TopKGroup);
        }

        if (c.RopeScaling is { } yarn)
        {
            gguf.Add($"{a}.rope.scaling.type", "yarn");
            gguf.Add($"{a}.rope.scaling.factor", (float)yarn.Factor);
            gguf.Add($"{a}.rope.scaling.original_context_length", (uint)yarn.OriginalMaxPositionEmbeddings);
            gguf.Add($"{a}.rope.scaling.yarn_beta_fast", (float)yarn.BetaFast);
            gguf.Add($"{a}.rope.scaling.yarn_beta_slow", (float)yarn.BetaSlow);

            // llama.cpp's converter writes 0.1 * mscale_all_dim here and its loader divides by 0.1 again.
            gguf.Add($"{a}.rope.scaling.yarn_log_multiplier", (float)(0.1 * yarn.MscaleAllDim));
        }
    }

    /// <summary>The byte-level BPE vocabulary of tokenizer.json (as the engine's tokenizer reads it), padded to the config's vocab_size as llama.cpp's converter pads it.</summary>
    private static void AddTokenizer(GgufWriter gguf, ModelConfig c, string folder)
    {
        TokenizerJson tokenizer = TokenizerJson.Read(File.ReadAllBytes(Path.Combine(folder, "tokenizer.json")));
        var tokens = new string?[c.VocabSize];
        var types = new int[c.VocabSize];
        foreach ((string token, int id) in tokenizer.Vocabulary)
        {
            if (id < tokens.Length)
            {
                tokens[id] = token;
                types[id] = 1; // normal
            }
        }

        foreach (AddedToken added in tokenizer.AddedTokens)
        {
            if (added.Id < tokens.Length)
            {
                tokens[added.Id] = added.Content;
                types[added.Id] = added.Special ? 3 : 4; // control : user-defined
            }
        }

        var list = new string[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            list[i] = tokens[i] ?? $"[PAD{i}]";
            if (tokens[i] is null)
            {
                types[i] = 5; // unused
            }
        }

        gguf.Add("tokenizer.ggml.model", "gpt2");
        gguf.Add("tokenizer.ggml.pre", "deepseek-v3");
        gguf.Add("tokenizer.ggml.tokens", list);
        gguf.Add("tokenizer.ggml.token_type", types);
        gguf.Add("tokenizer.ggml.merges", tokenizer.Merges);
        if (c.BosTokenIds.Count > 0)
        {
            gguf.Add("tokenizer.ggml.bos_token_id", (uint)c.BosTokenIds[0]);
        }

        if (c.EosTokenIds.Count > 0)
        {
            gguf.Add("tokenizer.ggml.eos_token_id", (uint)c.EosTokenIds[0]);
        }

        // Whether a prompt starts with BOS, as tokenizer_config.json says (llama.cpp's default for gpt2 vocabularies is no).
        string config = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(config))
        {
            using JsonDocument tokenizerConfig = JsonDocument.Parse(File.ReadAllBytes(config));
            foreach (string flag in new[] { "add_bos_token", "add_eos_token" })
            {
                if (TokenizerConfig.Flag(tokenizerConfig.RootElement, flag) is bool value)
                {
                    gguf.Add("tokenizer.ggml." + flag, value);
                }
            }
        }
    }

    private static void AddTensors(GgufWriter gguf, ModelConfig c, Checkpoint checkpoint)
    {
        int hidden = c.HiddenSize;
        Matrix(gguf, checkpoint, "token_embd.weight", "model.embed_tokens.weight", c.VocabSize, hidden);
        Vector(gguf, checkpoint, "output_norm.weight", "model.norm.weight", hidden);
        if (!c.TieWordEmbeddings)
        {
            Matrix(gguf, checkpoint, "output.weight", "lm_head.weight", c.VocabSize, hidden);
        }

        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            string p = $"model.layers.{i}.";
            string b = $"blk.{i}.";
            Vector(gguf, checkpoint, b + "attn_norm.weight", p + "input_layernorm.weight", hidden);
            Vector(gguf, checkpoint, b + "ffn_norm.weight", p + "post_attention_layernorm.weight", hidden);
            AddAttention(gguf, c, checkpoint, p + "self_attn.", b);
            if (!c.IsMoeLayer(i))
            {
                FeedForward(gguf, checkpoint, p + "mlp.", b, "", hidden, c.IntermediateSize);
                continue;
            }

            Matrix(gguf, checkpoint, b + "ffn_gate_inp.weight", p + "mlp.gate.weight", c.NRoutedExperts, hidden, GgufTensorType.F32);
            if (c.TopKMethod == TopKMethod.NoAuxTc)
            {
                Vector(gguf, checkpoint, b + "exp_probs_b.bias", p + "mlp.gate.e_score_correction_bias", c.NRoutedExperts);
            }

            foreach ((string hf, string gg, int rows, int cols) in Projections(hidden, c.MoeIntermediateSize))
            {
                string[] sources = new string[c.NRoutedExperts];
                for (int e = 0; e < sources.Length; e++)
                {
                    sources[e] = $"{p}mlp.experts.{e}.{hf}.weight";
                }

                Stacked(gguf, checkpoint, $"{b}ffn_{gg}_exps.weight", sources, rows, cols);
            }

            if (c.NSharedExperts > 0)
            {
                FeedForward(gguf, checkpoint, p + "mlp.shared_experts.", b, "_shexp", hidden, c.MoeIntermediateSize * c.NSharedExperts);
            }
        }
    }

    private static void AddAttention(GgufWriter gguf, ModelConfig c, Checkpoint checkpoint, string p, string b)
    {
        int hidden = c.HiddenSize;
        int heads = c.NumAttentionHeads;
        int qDim = heads * c.QHeadDim;
        if (c.QLoraRank is int rank)
        {
            Matrix(gguf, checkpoint, b + "attn_q_a.weight", p + "q_a_proj.weight", rank, hidden);
            Vector(gguf, checkpoint, b + "attn_q_a_norm.weight", p + "q_a_layernorm.weight", rank);
            Matrix(gguf, checkpoint, b + "attn_q_b.weight", p + "q_b_proj.weight", qDim, rank);
        }
        else
        {
            Matrix(gguf, checkpoint, b + "attn_q.weight", p + "q_proj.weight", qDim, hidden);
        }

        Matrix(gguf, checkpoint, b + "attn_kv_a_mqa.weight", p + "kv_a_proj_with_mqa.weight", c.KvEntryDim, hidden);
        Vector(gguf, checkpoint, b + "attn_kv_a_norm.weight", p + "kv_a_layernorm.weight", c.KvLoraRank);

        // kv_b_proj [heads * (nope + v), latent] splits per head into k_b = W_UK_h transposed ([latent, nope]
        // per head) and v_b = W_UV_h ([v, latent] per head), the two products of absorbed MLA.
        int nope = c.QkNopeHeadDim;
        int v = c.VHeadDim;
        int latent = c.KvLoraRank;
        string kvB = p + "kv_b_proj.weight";
        RowReader reader = RowReader.Open(checkpoint, kvB, heads * (nope + v), latent);
        GgufTensorType keyType = RowType(nope);
        gguf.AddTensor(b + "attn_k_b.weight", [nope, latent, heads], keyType, stream =>
        {
            var block = new float[nope * latent];
            var row = new float[nope];
            var encoded = new byte[RowBytes(keyType, nope)];
            for (int h = 0; h < heads; h++)
            {
                for (int r = 0; r < nope; r++)
                {
                    reader.Read(h * (nope + v) + r, block.AsSpan(r * latent, latent));
                }

                for (int l = 0; l < latent; l++)
                {
                    for (int r = 0; r < nope; r++)
                    {
                        row[r] = block[r * latent + l];
                    }

                    EncodeRow(keyType, row, encoded);
                    stream.Write(encoded);
                }
            }
        });
        GgufTensorType valueType = RowType(latent);
        gguf.AddTensor(b + "attn_v_b.weight", [latent, v, heads], valueType, stream =>
        {
            var row = new float[latent];
            var encoded = new byte[RowBytes(valueType, latent)];
            for (int h = 0; h < heads; h++)
            {
                for (int r = 0; r < v; r++)
                {
                    reader.Read(h * (nope + v) + nope + r, row);
                    EncodeRow(valueType, row, encoded);
                    stream.Write(encoded);
                }
            }
        });
        Matrix(gguf, checkpoint, b + "attn_output.weight", p + "o_proj.weight", hidden, heads * v);
    }

    private static (string Hf, string Gguf, int Rows, int Cols)[] Projections(int hidden, int width) =>
        [("gate_proj", "gate", width, hidden), ("up_proj", "up", width, hidden), ("down_proj", "down", hidden, width)];

    private static void FeedForward(GgufWriter gguf, Checkpoint checkpoint, string p, string b, string suffix, int hidden, int width)
    {
        foreach ((string hf, string gg, int rows, int cols) in Projections(hidden, width))
        {
            Matrix(gguf, checkpoint, $"{b}ffn_{gg}{suffix}.weight", $"{p}{hf}.weight", rows, cols);
        }
    }

    private static void Vector(GgufWriter gguf, Checkpoint checkpoint, string name, string source, int length)
    {
        SafetensorsTensor tensor = checkpoint.RequireVector(source, length);
        gguf.AddTensor(name, [length], GgufTensorType.F32, stream =>
        {
            var values = new float[length];
            WeightLoader.ReadRow(tensor, null, 0, length, values);
            stream.Write(MemoryMarshal.AsBytes(values.AsSpan()));
        });
    }

    private static void Matrix(GgufWriter gguf, Checkpoint checkpoint, string name, string source, int rows, int cols, GgufTensorType? type = null) =>
        Stacked(gguf, checkpoint, name, [source], rows, cols, type);

    /// <summary>One [rows, cols] matrix, or several stacked into [count, rows, cols] (ggml dims {cols, rows, count}).</summary>
    private static void Stacked(GgufWriter gguf, Checkpoint checkpoint, string name, string[] sources, int rows, int cols, GgufTensorType? requested = null)
    {
        GgufTensorType type = requested ?? RowType(cols);
        var readers = new RowReader[sources.Length];
        for (int i = 0; i < sources.Length; i++)
        {
            readers[i] = RowReader.Open(checkpoint, sources[i], rows, cols);
        }

        long[] dims = sources.Length == 1 ? [cols, rows] : [cols, rows, sources.Length];
        gguf.AddTensor(name, dims, type, stream =>
        {
            var row = new float[cols];
            var encoded = new byte[RowBytes(type, cols)];
            foreach (RowReader reader in readers)
            {
                for (int r = 0; r < rows; r++)
                {
                    reader.Read(r, row);
                    EncodeRow(type, row, encoded);
                    stream.Write(encoded);
                }
            }
        });
    }

    /// <summary>Q8_0 where the row splits into 32-value blocks; otherwise F16, llama.cpp's own fallback for such rows.</summary>
    private static GgufTensorType RowType(int cols) => cols % GgufQ8Block.Values == 0 ? GgufTensorType.Q8_0 : GgufTensorType.F16;

    private static int RowBytes(GgufTensorType type, int cols) => type switch
    {
        GgufTensorType.Q8_0 => (int)GgufQ8Block.SizeOf(cols),
        GgufTensorType.F16 => cols * 2,
        _ => cols * sizeof(float),
    };

    private static void EncodeRow(GgufTensorType type, ReadOnlySpan<float> row, Span<byte> target)
    {
        switch (type)
        {
            case GgufTensorType.Q8_0:
                GgufQ8Block.Encode(row, target);
                break;
            case GgufTensorType.F16:
                Span<Half> halves = MemoryMarshal.Cast<byte, Half>(target);
                for (int i = 0; i < row.Length; i++)
                {
                    halves[i] = (Half)row[i];
                }

                break;
            default:
                MemoryMarshal.AsBytes(row).CopyTo(target);
                break;
        }
    }

    /// <summary>Rows of a checkpoint matrix as f32, whatever its dtype (FP8 with its block scales).</summary>
    private readonly record struct RowReader(SafetensorsTensor Tensor, SafetensorsTensor? Scales, int Cols)
    {
        public static RowReader Open(Checkpoint checkpoint, string name, int rows, int cols)
        {
            SafetensorsTensor tensor = checkpoint.RequireMatrix(name, rows, cols);
            SafetensorsTensor? scales = checkpoint.ScalesFor(tensor, rows, cols);
            return new RowReader(tensor, scales, cols);
        }

        public void Read(int row, Span<float> target) => WeightLoader.ReadRow(Tensor, Scales, row, Cols, target);
    }
}
