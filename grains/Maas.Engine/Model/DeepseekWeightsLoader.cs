using Maas.Checkpoints;
using Maas.Engine.Checkpoints;
using Maas.Engine.Experts;
using Maas.Engine.Weights;

namespace Maas.Engine.Model;

/// <summary>
/// Reads a DeepSeek-V2/V3 checkpoint into <see cref="DeepseekWeights"/> in the requested precision: the
/// tensor names and shapes of the Hugging Face layout, kv_b_proj split per head for absorbed MLA.
/// </summary>
internal static unsafe class DeepseekWeightsLoader
{
    public static DeepseekWeights Load(Checkpoint checkpoint, ModelConfig config, WeightPrecision precision, IProgress<ModelLoadProgress>? progress = null)
    {
        var loader = new WeightLoader(checkpoint, precision, progress);
        var owned = new List<IDisposable>();
        try
        {
            int hidden = config.HiddenSize;

            // Embeddings and lm_head stay in the checkpoint's dtype under Fp8 (DeepSeek-V3 ships them in BF16 too).
            // Under Q8 lm_head (a large share of decode reads) is quantized; embeddings stay (one row per token),
            // unless tied to lm_head, in which case the shared matrix is Q8 and rows are dequantized.
            WeightPrecision edgePrecision = precision == WeightPrecision.Fp8 ? WeightPrecision.Native : precision;
            WeightPrecision embeddingPrecision = precision == WeightPrecision.Q8 && !config.TieWordEmbeddings ? WeightPrecision.Native : edgePrecision;
            WeightMatrix embedding = loader.Matrix("model.embed_tokens.weight", config.VocabSize, hidden, embeddingPrecision);
            owned.Add(embedding);
            var layers = new LayerWeights[config.NumHiddenLayers];
            var routed = new FeedForwardWeights[]?[config.NumHiddenLayers];
            for (int i = 0; i < config.NumHiddenLayers; i++)
            {
                (layers[i], routed[i]) = LoadLayer(loader, config, i);
                owned.Add(layers[i]);
                if (routed[i] is { } experts)
                {
                    owned.AddRange(experts);
                }
            }

            float[] finalNorm = loader.Vector("model.norm.weight", hidden);
            WeightMatrix lmHead = config.TieWordEmbeddings
                ? embedding
                : loader.Matrix("lm_head.weight", config.VocabSize, hidden, edgePrecision);
            owned.Add(lmHead);
            loader.ReportDone();
            return new DeepseekWeights
            {
                Embedding = embedding,
                LmHead = lmHead,
                FinalNorm = finalNorm,
                Layers = layers,
                RoutedExperts = routed,
                ParameterCount = loader.LoadedParameters,
            };
        }
        catch
        {
            foreach (IDisposable d in owned)
            {
                d.Dispose();
            }

            throw;
        }
    }

    private static (LayerWeights Layer, FeedForwardWeights[]? Routed) LoadLayer(WeightLoader loader, ModelConfig c, int index)
    {
        string p = $"model.layers.{index}.";
        int hidden = c.HiddenSize;
        AttentionWeights attention = LoadAttention(loader, c, p + "self_attn.");
        float[] inputNorm = loader.Vector(p + "input_layernorm.weight", hidden);
        float[] postNorm = loader.Vector(p + "post_attention_layernorm.weight", hidden);
        if (!c.IsMoeLayer(index))
        {
            return (new LayerWeights
            {
                InputNorm = inputNorm,
                PostAttentionNorm = postNorm,
                Attention = attention,
                Mlp = LoadFeedForward(loader, p + "mlp.", hidden, c.IntermediateSize),
            }, null);
        }

        var experts = new FeedForwardWeights[c.NRoutedExperts];
        for (int e = 0; e < experts.Length; e++)
        {
            experts[e] = LoadFeedForward(loader, $"{p}mlp.experts.{e}.", hidden, c.MoeIntermediateSize);
        }

        return (new LayerWeights
        {
            InputNorm = inputNorm,
            PostAttentionNorm = postNorm,
            Attention = attention,
            Router = loader.MatrixF32(p + "mlp.gate.weight", c.NRoutedExperts, hidden),
            RouterBias = c.TopKMethod == TopKMethod.NoAuxTc ? loader.Vector(p + "mlp.gate.e_score_correction_bias", c.NRoutedExperts) : null,
            SharedExperts = c.NSharedExperts > 0
                ? LoadFeedForward(loader, p + "mlp.shared_experts.", hidden, c.MoeIntermediateSize * c.NSharedExperts)
                : null,
        }, experts);
    }

    /// <summary>BF16 slices under Bf16, Fp8 and Q8, and under Native from a BF16 kv_b_proj; f32 otherwise.</summary>
    private static WeightFormat SliceFormat(WeightLoader loader, string kvBName) => loader.Precision switch
    {
        WeightPrecision.F32 => WeightFormat.F32,
        WeightPrecision.Native => loader.Checkpoint.Require(kvBName).Dtype == SafetensorsDtype.BF16 ? WeightFormat.Bf16 : WeightFormat.F32,
        _ => WeightFormat.Bf16,
    };

    private static FeedForwardWeights LoadFeedForward(WeightLoader loader, string prefix, int hidden, int width) =>
        new(
            loader.Matrix(prefix + "gate_proj.weight", width, hidden),
            loader.Matrix(prefix + "up_proj.weight", width, hidden),
            loader.Matrix(prefix + "down_proj.weight", hidden, width));

    private static AttentionWeights LoadAttention(WeightLoader loader, ModelConfig c, string p)
    {
        int heads = c.NumAttentionHeads;
        int hidden = c.HiddenSize;
        int qDim = heads * c.QHeadDim;
        int nope = c.QkNopeHeadDim;
        int v = c.VHeadDim;
        int latent = c.KvLoraRank;

        // Absorbed MLA needs kv_b_proj per head: W_UK_h = rows [h(nope+v), h(nope+v)+nope), W_UV_h = the next v rows.
        // The slices are read every decode step (8 MB per V2-Lite layer in f32), so the re-quantized precisions (Bf16,
        // Fp8, Q8) hold them in BF16 (exact from a BF16 checkpoint, a 2^-9 relative rounding of an FP8 one); Native keeps
        // BF16 only where the checkpoint is BF16, F32 keeps f32.
        string kvBName = p + "kv_b_proj.weight";
        WeightFormat sliceFormat = SliceFormat(loader, kvBName);
        var keyUp = new WeightMatrix[heads];
        var valueUp = new WeightMatrix[heads];
        using (WeightMatrix kvB = loader.MatrixF32(kvBName, heads * (nope + v), latent))
        {
            float* source = (float*)kvB.Data;
            var keyRows = new float[nope * latent];
            var valueColumns = new float[latent * v];
            for (int h = 0; h < heads; h++)
            {
                long headRow = (long)h * (nope + v);
                new ReadOnlySpan<float>(source + headRow * latent, nope * latent).CopyTo(keyRows);

                // W_UV_h transposed to [kv_lora, v], so both absorbed products run input-major.
                for (int j = 0; j < v; j++)
                {
                    for (int l = 0; l < latent; l++)
                    {
                        valueColumns[l * v + j] = source[(headRow + nope + j) * latent + l];
                    }
                }

                keyUp[h] = WeightMatrix.FromF32(nope, latent, sliceFormat, keyRows);
                valueUp[h] = WeightMatrix.FromF32(latent, v, sliceFormat, valueColumns);
            }
        }

        bool lora = c.QLoraRank is not null;
        int rank = c.QLoraRank ?? 0;
        return new AttentionWeights
        {
            QProj = lora ? null : loader.Matrix(p + "q_proj.weight", qDim, hidden),
            QAProj = lora ? loader.Matrix(p + "q_a_proj.weight", rank, hidden) : null,
            QANorm = lora ? loader.Vector(p + "q_a_layernorm.weight", rank) : null,
            QBProj = lora ? loader.Matrix(p + "q_b_proj.weight", qDim, rank) : null,
            KvAProj = loader.Matrix(p + "kv_a_proj_with_mqa.weight", c.KvEntryDim, hidden),
            KvANorm = loader.Vector(p + "kv_a_layernorm.weight", latent),
            KeyUp = keyUp,
            ValueUp = valueUp,
            OProj = loader.Matrix(p + "o_proj.weight", hidden, heads * v),
        };
    }
}
