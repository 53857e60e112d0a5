using Maas.Engine.KvCache;
using Maas.Engine.Weights;

namespace Maas.Engine.Kernels;

/// <summary>
/// One sequence's MLA attention in the expanded (non-absorbed) form, for a long run of consecutive new tokens
/// already written to the cache: row r sits at position StartPosition + r and attends to positions 0..StartPosition + r.
/// Per head, keys k = [W_UK·c ; k_pe] and values v = W_UV·c are decompressed from the cached latents c once for the
/// whole run, then out = softmax(q·kᵀ·Scale)·v.
/// </summary>
internal unsafe struct ExpandedAttentionArgs
{
    public PagedKvCache Cache;
    public KvSequence Sequence;
    public int Layer;
    public int StartPosition;
    public int Rows;
    public int Heads;

    /// <summary>Query of (row, head): [nope | rope] at Query + row·QueryRowStride + head·QueryHeadStride (rope already rotated).</summary>
    public float* Query;
    public int QueryRowStride;
    public int QueryHeadStride;

    /// <summary>Per head W_UK [nope, kv_lora] (row-major, as <c>AttentionWeights.KeyUp</c>).</summary>
    public WeightMatrix[] KeyUp;

    /// <summary>Per head W_UVᵀ [kv_lora, v] (input-major, as <c>AttentionWeights.ValueUp</c>).</summary>
    public WeightMatrix[] ValueUp;
    public float Scale;

    /// <summary>Attention output of (row, head): v values at Output + row·OutputRowStride + head·v.</summary>
    public float* Output;
    public int OutputRowStride;
}
