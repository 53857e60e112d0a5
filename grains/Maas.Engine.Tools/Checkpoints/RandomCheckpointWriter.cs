using System.Runtime.InteropServices;
using System.Text.Json;
using Maas.Checkpoints;
using Maas.Engine;
using Maas.Engine.Checkpoints;

namespace Maas.Engine.Tools.Checkpoints;

/// <summary>
/// Writes a random checkpoint in Hugging Face layout (config.json, model.safetensors, tokenizer files)
/// for demos and benchmarks. Linear weights are N(0, 1/fan_in) so activations keep their scale
/// through the layers; in FP8 every large linear is E4M3 with 128x128 block scales, as in DeepSeek-V3.
/// Generation is table driven and parallel so an 8-layer V2-Lite shape takes seconds, not minutes.
/// </summary>
public static class RandomCheckpointWriter
{
    private const int TableBits = 16;
    private const int BlockSize = 128;

    // FP8 codes hold N(0,1) x 32: well inside E4M3's ±448 range, with the block scale carrying std/32.
    private const float Fp8CodeScale = 32f;

    /// <param name="progress">Told the fraction of model.safetensors written after each tensor.</param>
    public static void Write(string outputFolder, string shape, int layers, WeightPrecision dtype, string tokenizerFolder, int seed = 1234, IProgress<double>? progress = null)
    {
        if (dtype is not (WeightPrecision.Bf16 or WeightPrecision.Fp8))
        {
            throw new ArgumentException("Random checkpoints are written in BF16 or FP8.", nameof(dtype));
        }

        Directory.CreateDirectory(outputFolder);
        var configJson = JsonSerializer.Serialize(CheckpointShape.Config(shape, layers), new JsonSerializerOptions { WriteIndented = true });
        var config = ModelConfig.Parse(configJson);
        if (dtype == WeightPrecision.Fp8)
        {
            var withQuant = CheckpointShape.Config(shape, layers);
            withQuant["quantization_config"] = new Dictionary<string, object>
            {
                ["quant_method"] = "fp8",
                ["fmt"] = "e4m3",
                ["activation_scheme"] = "dynamic",
                ["weight_block_size"] = new[] { BlockSize, BlockSize },
            };
            configJson = JsonSerializer.Serialize(withQuant, new JsonSerializerOptions { WriteIndented = true });
        }

        File.WriteAllText(Path.Combine(outputFolder, "config.json"), configJson);
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" })
        {
            File.Copy(Path.Combine(tokenizerFolder, file), Path.Combine(outputFolder, file), overwrite: true);
        }

        var normal = NormalTable(seed);
        var writer = new SafetensorsWriter();
        writer.Metadata["format"] = "pt";
        writer.Metadata["maas.random"] = $"shape={shape} seed={seed}";
        var tensorSeed = seed;
        void Linear(string name, int rows, int cols)
        {
            var std = 1f / MathF.Sqrt(cols);
            var s = ++tensorSeed;
            if (dtype == WeightPrecision.Fp8)
            {
                writer.Add(name + ".weight", "F8_E4M3", [rows, cols], span => FillFp8(span, normal, s));
                var scaleRows = (rows + BlockSize - 1) / BlockSize;
                var scaleCols = (cols + BlockSize - 1) / BlockSize;
                writer.Add(name + ".weight_scale_inv", "F32", [scaleRows, scaleCols], span => MemoryMarshal.Cast<byte, float>(span).Fill(std / Fp8CodeScale));
            }
            else
            {
                writer.Add(name + ".weight", "BF16", [rows, cols], span => FillBf16(span, normal, s, std, 0f));
            }
        }

        void Vector(string name, int length, float std, float mean)
        {
            var s = ++tensorSeed;
            writer.Add(name, "BF16", [length], span => FillBf16(span, normal, s, std, mean));
        }

        void Mlp(string prefix, int hidden, int width)
        {
            Linear(prefix + ".gate_proj", width, hidden);
            Linear(prefix + ".up_proj", width, hidden);
            Linear(prefix + ".down_proj", hidden, width);
        }

        var h = config.HiddenSize;
        var embedSeed = ++tensorSeed;
        writer.Add("model.embed_tokens.weight", "BF16", [config.VocabSize, h], span => FillBf16(span, normal, embedSeed, 1f, 0f));
        for (var layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            var p = $"model.layers.{layer}.";
            Vector(p + "input_layernorm.weight", h, 0.01f, 1f);
            Vector(p + "post_attention_layernorm.weight", h, 0.01f, 1f);
            var heads = config.NumAttentionHeads;
            if (config.QLoraRank is int qLora)
            {
                Linear(p + "self_attn.q_a_proj", qLora, h);
                Vector(p + "self_attn.q_a_layernorm.weight", qLora, 0.01f, 1f);
                Linear(p + "self_attn.q_b_proj", heads * config.QHeadDim, qLora);
            }
            else
            {
                Linear(p + "self_attn.q_proj", heads * config.QHeadDim, h);
            }

            Linear(p + "self_attn.kv_a_proj_with_mqa", config.KvLoraRank + config.QkRopeHeadDim, h);
            Vector(p + "self_attn.kv_a_layernorm.weight", config.KvLoraRank, 0.01f, 1f);
            Linear(p + "self_attn.kv_b_proj", heads * (config.QkNopeHeadDim + config.VHeadDim), config.KvLoraRank);
            Linear(p + "self_attn.o_proj", h, heads * config.VHeadDim);
            if (config.IsMoeLayer(layer))
            {
                var routerSeed = ++tensorSeed;
                var routerStd = 2f / MathF.Sqrt(h);
                writer.Add(p + "mlp.gate.weight", "BF16", [config.NRoutedExperts, h], span => FillBf16(span, normal, routerSeed, routerStd, 0f));
                if (config.TopKMethod == TopKMethod.NoAuxTc)
                {
                    writer.Add(p + "mlp.gate.e_score_correction_bias", "F32", [config.NRoutedExperts], span => MemoryMarshal.Cast<byte, float>(span).Clear());
                }

                for (var e = 0; e < config.NRoutedExperts; e++)
                {
                    Mlp($"{p}mlp.experts.{e}", h, config.MoeIntermediateSize);
                }

                if (config.NSharedExperts > 0)
                {
                    Mlp(p + "mlp.shared_experts", h, config.MoeIntermediateSize * config.NSharedExperts);
                }
            }
            else
            {
                Mlp(p + "mlp", h, config.IntermediateSize);
            }
        }

        Vector("model.norm.weight", h, 0.01f, 1f);
        var headSeed = ++tensorSeed;
        writer.Add("lm_head.weight", "BF16", [config.VocabSize, h], span => FillBf16(span, normal, headSeed, 2.5f / MathF.Sqrt(h), 0f));
        writer.Write(Path.Combine(outputFolder, "model.safetensors"), progress);
    }

    internal static float[] NormalTable(int seed)
    {
        var table = new float[1 << TableBits];
        var random = new Random(seed);
        for (var i = 0; i < table.Length; i += 2)
        {
            // Box-Muller: two independent N(0,1) samples per pair of uniforms.
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            var r = Math.Sqrt(-2.0 * Math.Log(u1));
            table[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
            table[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
        }

        return table;
    }

    private const int Chunk = 1 << 20;

    internal static void FillBf16(Span<byte> span, float[] normal, int seed, float std, float mean)
    {
        var count = span.Length / 2;
        unsafe
        {
            fixed (byte* basePtr = span)
            {
                var ptr = (ushort*)basePtr;
                var chunks = (count + Chunk - 1) / Chunk;
                Parallel.For(0, chunks, c =>
                {
                    var state = Mix((ulong)seed, (ulong)c);
                    var end = Math.Min(count, (c + 1) * Chunk);
                    for (var i = c * Chunk; i < end; i++)
                    {
                        ptr[i] = Bf16.Encode(mean + std * normal[Next(ref state)]);
                    }
                });
            }
        }
    }

    private static void FillFp8(Span<byte> span, float[] normal, int seed)
    {
        // One 16-bit index per code; the code table is built once per tensor from the shared normals.
        var codes = new byte[normal.Length];
        for (var i = 0; i < codes.Length; i++)
        {
            codes[i] = Fp8E4M3.Encode(normal[i] * Fp8CodeScale);
        }

        var count = span.Length;
        unsafe
        {
            fixed (byte* ptr = span)
            {
                var p = ptr;
                var chunks = (count + Chunk - 1) / Chunk;
                Parallel.For(0, chunks, c =>
                {
                    var state = Mix((ulong)seed, (ulong)c);
                    var end = Math.Min(count, (c + 1) * Chunk);
                    for (var i = c * Chunk; i < end; i++)
                    {
                        p[i] = codes[Next(ref state)];
                    }
                });
            }
        }
    }

    private static ulong Mix(ulong seed, ulong stream)
    {
        var z = seed * 0x9E3779B97F4A7C15UL + stream * 0xBF58476D1CE4E5B9UL + 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return z == 0 ? 1 : z;
    }

    /// <summary>xorshift64*: plenty for random weights; returns a table index from the high bits.</summary>
    private static int Next(ref ulong state)
    {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return (int)((state * 0x2545F4914F6CDD1DUL) >> (64 - TableBits));
    }
}
