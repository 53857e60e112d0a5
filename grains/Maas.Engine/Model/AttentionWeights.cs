using Maas.Engine.Weights;

namespace Maas.Engine.Model;

/// <summary>One layer's MLA weights, with kv_b_proj pre-split per head for the absorbed form.</summary>
internal sealed class AttentionWeights : IDisposable
{
    /// <summary>Plain q_proj [H·(nope+rope), hidden] when q_lora_rank is null.</summary>
    public WeightMatrix? QProj { get; init; }

    public WeightMatrix? QAProj { get; init; }

    public float[]? QANorm { get; init; }

    public WeightMatrix? QBProj { get; init; }

    /// <summary>[kv_lora + rope, hidden]: latent rows then the shared rope key.</summary>
    public required WeightMatrix KvAProj { get; init; }

    public required float[] KvANorm { get; init; }

    /// <summary>
    /// Per head W_UK [nope, kv_lora] (BF16, f32 for f32 models), as stored in kv_b_proj: q_lat = W_UKᵀ·q_nope, computed input-major
    /// (<see cref="Kernels.IComputeBackend.MatMulHeadsInputMajor"/>) because its 128-long dot products were
    /// dominated by horizontal sums.
    /// </summary>
    public required WeightMatrix[] KeyUp { get; init; }

    /// <summary>Per head W_UVᵀ [kv_lora, v] (BF16, f32 for f32 models; input-major): o = W_UV·o_lat.</summary>
    public required WeightMatrix[] ValueUp { get; init; }

    public required WeightMatrix OProj { get; init; }

    /// <summary>Bytes one forward step reads from these weights.</summary>
    public long ByteLength
    {
        get
        {
            long total = (QProj?.ByteLength ?? 0) + (QAProj?.ByteLength ?? 0) + (QBProj?.ByteLength ?? 0) + KvAProj.ByteLength + OProj.ByteLength;
            foreach (WeightMatrix m in KeyUp)
            {
                total += m.ByteLength;
            }

            foreach (WeightMatrix m in ValueUp)
            {
                total += m.ByteLength;
            }

            return total;
        }
    }

    public void Dispose()
    {
        QProj?.Dispose();
        QAProj?.Dispose();
        QBProj?.Dispose();
        KvAProj.Dispose();
        OProj.Dispose();
        foreach (WeightMatrix m in KeyUp)
        {
            m.Dispose();
        }

        foreach (WeightMatrix m in ValueUp)
        {
            m.Dispose();
        }
    }
}
