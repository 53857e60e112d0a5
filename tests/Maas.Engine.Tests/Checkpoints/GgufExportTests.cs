using System.Text.Json;
using Maas.Checkpoints;
using Maas.Engine.Checkpoints;
using Maas.Engine.Tests.TestSupport;
using Maas.Engine.Tools.Gguf;
using Maas.Engine.Weights;
using Maas.Testing;
using Xunit;

namespace Maas.Engine.Tests.Checkpoints;

/// <summary>
/// `maas model export-gguf`: each golden model (V2 with q_proj and a dense first layer; V3 with q_lora,
/// noaux_tc, sigmoid and expert groups) exported and read back by an independent GGUF reader. The expected
/// names and shapes are those llama.cpp's deepseek2 loader asks for.
/// </summary>
public sealed class GgufExportTests : IDisposable
{
    private readonly List<string> _folders = [];

    public static TheoryData<string> Golden => GoldenFolder.Theories();

    [Theory]
    [MemberData(nameof(Golden))]
    public void Every_tensor_has_llama_cpps_name_shape_and_type(string golden)
    {
        (ModelConfig c, GgufFile gguf) = Export(golden);
        Dictionary<string, long[]> expected = ExpectedTensors(c);

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), gguf.Tensors.Keys.Order(StringComparer.Ordinal));
        foreach ((string name, long[] dims) in expected)
        {
            GgufTensorInfo tensor = gguf.Tensors[name];
            Assert.True(dims.SequenceEqual(tensor.Dims), $"{name}: [{string.Join(", ", tensor.Dims)}], expected [{string.Join(", ", dims)}]");
            GgufTensorType type = dims.Length == 1 || name.Contains("ffn_gate_inp", StringComparison.Ordinal)
                ? GgufTensorType.F32
                : dims[0] % 32 == 0 ? GgufTensorType.Q8_0 : GgufTensorType.F16;
            Assert.True(type == tensor.Type, $"{name}: {tensor.Type}, expected {type}");
            Assert.Equal(0, tensor.Offset % GgufWriter.Alignment);
        }

        // Tensors do not overlap and the last one ends inside the file.
        long end = 0;
        foreach (GgufTensorInfo tensor in gguf.Tensors.Values.OrderBy(t => t.Offset))
        {
            Assert.True(tensor.Offset >= end);
            end = tensor.Offset + Bytes(tensor);
        }

        Assert.True(gguf.DataStart + end <= gguf.Length);
    }

    [Theory]
    [MemberData(nameof(Golden))]
    public void Metadata_is_what_llama_cpps_deepseek2_loader_reads(string golden)
    {
        (ModelConfig c, GgufFile gguf) = Export(golden);
        IReadOnlyDictionary<string, object> m = gguf.Metadata;

        Assert.Equal(3u, gguf.Version);
        Assert.Equal("deepseek2", m["general.architecture"]);
        Assert.Equal((uint)c.NumHiddenLayers, m["deepseek2.block_count"]);
        Assert.Equal((uint)c.HiddenSize, m["deepseek2.embedding_length"]);
        Assert.Equal((uint)c.IntermediateSize, m["deepseek2.feed_forward_length"]);
        Assert.Equal((uint)c.NumAttentionHeads, m["deepseek2.attention.head_count"]);
        Assert.Equal(1u, m["deepseek2.attention.head_count_kv"]);
        Assert.Equal((uint)(c.QLoraRank ?? 0), m["deepseek2.attention.q_lora_rank"]);
        Assert.Equal((uint)c.KvLoraRank, m["deepseek2.attention.kv_lora_rank"]);
        Assert.Equal((uint)(c.KvLoraRank + c.QkRopeHeadDim), m["deepseek2.attention.key_length"]);
        Assert.Equal((uint)c.KvLoraRank, m["deepseek2.attention.value_length"]);
        Assert.Equal((uint)(c.QkNopeHeadDim + c.QkRopeHeadDim), m["deepseek2.attention.key_length_mla"]);
        Assert.Equal((uint)c.VHeadDim, m["deepseek2.attention.value_length_mla"]);
        Assert.Equal((uint)c.QkRopeHeadDim, m["deepseek2.rope.dimension_count"]);
        Assert.Equal((uint)c.FirstKDenseReplace, m["deepseek2.leading_dense_block_count"]);
        Assert.Equal((uint)c.MoeIntermediateSize, m["deepseek2.expert_feed_forward_length"]);
        Assert.Equal((uint)c.NRoutedExperts, m["deepseek2.expert_count"]);
        Assert.Equal((uint)c.NumExpertsPerTok, m["deepseek2.expert_used_count"]);
        Assert.Equal((uint)c.NSharedExperts, m["deepseek2.expert_shared_count"]);
        Assert.Equal((float)c.RoutedScalingFactor, m["deepseek2.expert_weights_scale"]);
        Assert.Equal(c.NormTopKProb, m["deepseek2.expert_weights_norm"]);
        Assert.Equal(c.ScoringFunction == ScoringFunction.Sigmoid ? 2u : 1u, m["deepseek2.expert_gating_func"]);
        if (c.NGroup > 1)
        {
            Assert.Equal((uint)c.NGroup, m["deepseek2.expert_group_count"]);
            Assert.Equal((uint)c.TopKGroup, m["deepseek2.expert_group_used_count"]);
        }
        else
        {
            Assert.False(m.ContainsKey("deepseek2.expert_group_count"));
        }

        if (c.RopeScaling is { } yarn)
        {
            Assert.Equal("yarn", m["deepseek2.rope.scaling.type"]);
            Assert.Equal((float)yarn.Factor, m["deepseek2.rope.scaling.factor"]);
            Assert.Equal((uint)yarn.OriginalMaxPositionEmbeddings, m["deepseek2.rope.scaling.original_context_length"]);
            Assert.Equal((float)(0.1 * yarn.MscaleAllDim), m["deepseek2.rope.scaling.yarn_log_multiplier"]);
        }
        else
        {
            Assert.False(m.ContainsKey("deepseek2.rope.scaling.type"));
        }

        // The vocabulary: tokenizer.json's ids, cut or padded to vocab_size; id 0 is the BOS control token.
        var tokens = (object[])m["tokenizer.ggml.tokens"];
        var types = (object[])m["tokenizer.ggml.token_type"];
        Assert.Equal(c.VocabSize, tokens.Length);
        Assert.Equal(c.VocabSize, types.Length);
        Assert.Equal("<｜begin▁of▁sentence｜>", tokens[0]);
        Assert.Equal(3, types[0]);
        using (JsonDocument tokenizer = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestEnvironment.DeepSeekV3TokenizerFolder, "tokenizer.json"))))
        {
            int checkedTokens = 0;
            foreach (JsonProperty entry in tokenizer.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject())
            {
                int id = entry.Value.GetInt32();
                if (id < c.VocabSize)
                {
                    Assert.Equal(entry.Name, tokens[id]);
                    Assert.Equal(id <= 2 ? 3 : 1, types[id]); // ids 0-2 are also special added tokens
                    checkedTokens++;
                }
            }

            Assert.True(checkedTokens > c.VocabSize / 2);
        }

        Assert.Equal("gpt2", m["tokenizer.ggml.model"]);
        Assert.Equal("deepseek-v3", m["tokenizer.ggml.pre"]);
        Assert.Contains("Ġ t", ((object[])m["tokenizer.ggml.merges"]).Cast<string>());
        Assert.Equal((uint)c.BosTokenIds[0], m["tokenizer.ggml.bos_token_id"]);
        Assert.Equal(true, m["tokenizer.ggml.add_bos_token"]);
        Assert.Equal(false, m["tokenizer.ggml.add_eos_token"]);
    }

    [Theory]
    [MemberData(nameof(Golden))]
    public void Weights_equal_the_checkpoint_within_Q8_0_rounding(string golden)
    {
        (ModelConfig c, GgufFile gguf) = Export(golden);
        using Checkpoint checkpoint = Checkpoint.Open(GoldenFolder.Load(golden).Path);
        int layer = c.NumHiddenLayers - 1;
        int dense = 0;
        string p = $"model.layers.{layer}.";
        string b = $"blk.{layer}.";
        int nope = c.QkNopeHeadDim;
        int v = c.VHeadDim;
        int headRows = nope + v;

        // Plain matrices: GGUF element (col, row) is checkpoint [row, col].
        Compare(gguf, "token_embd.weight", Matrix(checkpoint, "model.embed_tokens.weight"));
        Compare(gguf, "output.weight", Matrix(checkpoint, "lm_head.weight"));
        Compare(gguf, b + "attn_kv_a_mqa.weight", Matrix(checkpoint, p + "self_attn.kv_a_proj_with_mqa.weight"));
        Compare(gguf, b + "attn_output.weight", Matrix(checkpoint, p + "self_attn.o_proj.weight"));
        Compare(gguf, b + "ffn_gate_inp.weight", Matrix(checkpoint, p + "mlp.gate.weight"));
        Compare(gguf, b + "ffn_up_shexp.weight", Matrix(checkpoint, p + "mlp.shared_experts.up_proj.weight"));
        Compare(gguf, b + "ffn_down_shexp.weight", Matrix(checkpoint, p + "mlp.shared_experts.down_proj.weight"));
        Compare(gguf, $"blk.{dense}.ffn_down.weight", Matrix(checkpoint, $"model.layers.{dense}.mlp.down_proj.weight"));
        if (c.QLoraRank is null)
        {
            Compare(gguf, b + "attn_q.weight", Matrix(checkpoint, p + "self_attn.q_proj.weight"));
        }
        else
        {
            Compare(gguf, b + "attn_q_b.weight", Matrix(checkpoint, p + "self_attn.q_b_proj.weight"));
        }

        // Stacked experts: element (col, row, expert) is experts.{expert}.<proj> [row, col].
        foreach ((string gg, string hf) in new[] { ("gate", "gate_proj"), ("down", "down_proj") })
        {
            var experts = new float[c.NRoutedExperts][,];
            for (int e = 0; e < experts.Length; e++)
            {
                experts[e] = Matrix(checkpoint, $"{p}mlp.experts.{e}.{hf}.weight");
            }

            Compare(gguf, $"{b}ffn_{gg}_exps.weight", i => experts[i[2]][i[1], i[0]]);
        }

        // Absorbed MLA: k_b (nope, latent, head) = kv_b [head·(nope+v) + nope_index, latent];
        // v_b (latent, v, head) = kv_b [head·(nope+v) + nope + v_index, latent].
        float[,] kvB = Matrix(checkpoint, p + "self_attn.kv_b_proj.weight");
        Compare(gguf, b + "attn_k_b.weight", i => kvB[i[2] * headRows + i[0], i[1]]);
        Compare(gguf, b + "attn_v_b.weight", i => kvB[i[2] * headRows + nope + i[1], i[0]]);

        // Vectors are F32 and exact.
        Compare(gguf, b + "attn_norm.weight", Vector(checkpoint, p + "input_layernorm.weight"));
        Compare(gguf, b + "attn_kv_a_norm.weight", Vector(checkpoint, p + "self_attn.kv_a_layernorm.weight"));
        if (c.TopKMethod == TopKMethod.NoAuxTc)
        {
            Compare(gguf, b + "exp_probs_b.bias", Vector(checkpoint, p + "mlp.gate.e_score_correction_bias"));
        }
    }

    [Fact]
    public void A_dense_layer_after_the_leading_ones_is_refused_by_name()
    {
        // moe_layer_freq 2 makes layer 1 dense; llama.cpp's deepseek2 has only leading dense layers.
        string folder = CheckpointRewriter.Rewrite(GoldenFolder.Load("deepseek2-tiny-a").Path, "gguf-freq", CheckpointRewriter.Copy,
            config => config.Replace("\"moe_layer_freq\": 1", "\"moe_layer_freq\": 2"));
        _folders.Add(folder);
        string file = Path.Combine(folder, "model.gguf");

        var e = Assert.Throws<CheckpointException>(() => DeepseekGgufExport.Write(folder, file));
        Assert.Contains("layer 1 is dense", e.Message);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void Q8_0_blocks_round_as_ggmls_reference_quantizer()
    {
        // max |x| = 127 gives the scale 1 exactly, so every code is x rounded half away from zero.
        var values = new float[32];
        float[] head = [127f, 0.5f, -0.5f, 1.49f, -126.5f, 2.5f, -3.51f];
        head.CopyTo(values, 0);
        var encoded = new byte[GgufQ8Block.Bytes];
        GgufQ8Block.Encode(values, encoded);

        Assert.Equal((Half)1f, BitConverter.ToHalf(encoded));
        sbyte[] codes = [127, 1, -1, 1, -127, 3, -4, 0];
        for (int i = 0; i < codes.Length; i++)
        {
            Assert.Equal(codes[i], (sbyte)encoded[2 + i]);
            Assert.Equal(codes[i], GgufQ8Block.Decode(encoded, i));
        }

        // An all-zero block has scale 0 and zero codes (no division by zero).
        GgufQ8Block.Encode(new float[32], encoded);
        Assert.All(encoded, e => Assert.Equal(0, e));
        Assert.Throws<ArgumentException>(() => GgufQ8Block.Encode(new float[40], new byte[GgufQ8Block.Bytes * 2]));
    }

    public void Dispose()
    {
        foreach (string folder in _folders)
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The golden checkpoint plus the shipped tokenizer (golden folders carry none), exported and read back.</summary>
    private (ModelConfig Config, GgufFile File) Export(string golden)
    {
        string folder = Path.Combine(Path.GetTempPath(), "maas-gguf-" + Guid.NewGuid().ToString("N")[..8]);
        _folders.Add(folder);
        Directory.CreateDirectory(folder);
        string source = GoldenFolder.Load(golden).Path;
        foreach (string name in new[] { "config.json", "model.safetensors" })
        {
            File.Copy(Path.Combine(source, name), Path.Combine(folder, name));
        }

        foreach (string name in new[] { "tokenizer.json", "tokenizer_config.json" })
        {
            File.Copy(Path.Combine(TestEnvironment.DeepSeekV3TokenizerFolder, name), Path.Combine(folder, name));
        }

        string file = Path.Combine(folder, "model-q8_0.gguf");
        int written = DeepseekGgufExport.Write(folder, file);
        GgufFile gguf = GgufFile.Read(file);
        Assert.Equal(written, gguf.Tensors.Count);
        return (ModelConfig.Load(folder), gguf);
    }

    private static Dictionary<string, long[]> ExpectedTensors(ModelConfig c)
    {
        long hidden = c.HiddenSize;
        long heads = c.NumAttentionHeads;
        long latent = c.KvLoraRank;
        var t = new Dictionary<string, long[]>
        {
            ["token_embd.weight"] = [hidden, c.VocabSize],
            ["output_norm.weight"] = [hidden],
            ["output.weight"] = [hidden, c.VocabSize],
        };
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            string b = $"blk.{i}.";
            t[b + "attn_norm.weight"] = [hidden];
            t[b + "ffn_norm.weight"] = [hidden];
            if (c.QLoraRank is int rank)
            {
                t[b + "attn_q_a.weight"] = [hidden, rank];
                t[b + "attn_q_a_norm.weight"] = [rank];
                t[b + "attn_q_b.weight"] = [rank, heads * c.QHeadDim];
            }
            else
            {
                t[b + "attn_q.weight"] = [hidden, heads * c.QHeadDim];
            }

            t[b + "attn_kv_a_mqa.weight"] = [hidden, latent + c.QkRopeHeadDim];
            t[b + "attn_kv_a_norm.weight"] = [latent];
            t[b + "attn_k_b.weight"] = [c.QkNopeHeadDim, latent, heads];
            t[b + "attn_v_b.weight"] = [latent, c.VHeadDim, heads];
            t[b + "attn_output.weight"] = [heads * c.VHeadDim, hidden];
            if (i < c.FirstKDenseReplace)
            {
                t[b + "ffn_gate.weight"] = [hidden, c.IntermediateSize];
                t[b + "ffn_up.weight"] = [hidden, c.IntermediateSize];
                t[b + "ffn_down.weight"] = [c.IntermediateSize, hidden];
                continue;
            }

            long width = c.MoeIntermediateSize;
            long shared = width * c.NSharedExperts;
            t[b + "ffn_gate_inp.weight"] = [hidden, c.NRoutedExperts];
            if (c.TopKMethod == TopKMethod.NoAuxTc)
            {
                t[b + "exp_probs_b.bias"] = [c.NRoutedExperts];
            }

            t[b + "ffn_gate_exps.weight"] = [hidden, width, c.NRoutedExperts];
            t[b + "ffn_up_exps.weight"] = [hidden, width, c.NRoutedExperts];
            t[b + "ffn_down_exps.weight"] = [width, hidden, c.NRoutedExperts];
            t[b + "ffn_gate_shexp.weight"] = [hidden, shared];
            t[b + "ffn_up_shexp.weight"] = [hidden, shared];
            t[b + "ffn_down_shexp.weight"] = [shared, hidden];
        }

        return t;
    }

    private static long Bytes(GgufTensorInfo tensor)
    {
        long count = 1;
        foreach (long d in tensor.Dims)
        {
            count *= d;
        }

        return tensor.Type switch
        {
            GgufTensorType.F32 => count * 4,
            GgufTensorType.F16 => count * 2,
            _ => count / 32 * 34,
        };
    }

    private static float[,] Matrix(Checkpoint checkpoint, string name)
    {
        SafetensorsTensor tensor = checkpoint.Require(name);
        int rows = (int)tensor.Shape[0];
        int cols = (int)tensor.Shape[1];
        SafetensorsTensor? scales = checkpoint.ScalesFor(tensor, rows, cols);
        var values = new float[rows, cols];
        var row = new float[cols];
        for (int r = 0; r < rows; r++)
        {
            WeightLoader.ReadRow(tensor, scales, r, cols, row);
            for (int col = 0; col < cols; col++)
            {
                values[r, col] = row[col];
            }
        }

        return values;
    }

    private static float[] Vector(Checkpoint checkpoint, string name)
    {
        SafetensorsTensor tensor = checkpoint.Require(name);
        var values = new float[tensor.Shape[0]];
        WeightLoader.ReadRow(tensor, null, 0, values.Length, values);
        return values;
    }

    private static void Compare(GgufFile gguf, string name, float[,] matrix) => Compare(gguf, name, i => matrix[i[1], i[0]]);

    private static void Compare(GgufFile gguf, string name, float[] vector) => Compare(gguf, name, i => vector[i[0]]);

    /// <summary>
    /// Every element against its source. Q8_0 may be off by half a step of its block's scale (max |x| / 127,
    /// stored as f16: 0.6 steps covers that rounding); F16 by its 11-bit precision; F32 not at all.
    /// </summary>
    private static void Compare(GgufFile gguf, string name, Func<long[], float> source)
    {
        GgufTensorInfo tensor = gguf.Tensors[name];
        long[] dims = tensor.Dims;
        long rowsTotal = 1;
        for (int d = 1; d < dims.Length; d++)
        {
            rowsTotal *= dims[d];
        }

        var index = new long[dims.Length];
        var expected = new float[dims[0]];
        for (long r = 0; r < rowsTotal; r++)
        {
            long rest = r;
            for (int d = 1; d < dims.Length; d++)
            {
                index[d] = rest % dims[d];
                rest /= dims[d];
            }

            for (long col = 0; col < dims[0]; col++)
            {
                index[0] = col;
                expected[col] = source(index);
            }

            for (long col = 0; col < dims[0]; col++)
            {
                index[0] = col;
                float actual = gguf.Value(name, index);
                double tolerance = tensor.Type switch
                {
                    GgufTensorType.Q8_0 => 0.6 * BlockMax(expected, col) / 127,
                    GgufTensorType.F16 => Math.Abs(expected[col]) / 2048 + 1e-7,
                    _ => 0,
                };
                Assert.True(Math.Abs(actual - expected[col]) <= tolerance, $"{name} [{string.Join(", ", index)}]: {actual}, expected {expected[col]} ± {tolerance}");
            }
        }
    }

    private static float BlockMax(float[] row, long col)
    {
        long start = col / 32 * 32;
        float max = 0;
        for (long i = start; i < start + 32; i++)
        {
            max = Math.Max(max, Math.Abs(row[i]));
        }

        return max;
    }
}
