using Maas.Engine.KvCache;

namespace Maas.Engine.Kernels;

/// <summary>
/// One sequence's absorbed-MLA attention for a run of consecutive new tokens. Row r sits at
/// position StartPosition + r and attends to cached positions 0..StartPosition + r (causal).
/// </summary>
internal unsafe struct LatentAttentionArgs
{
    public PagedKvCache Cache;
    public KvSequence Sequence;
    public int Layer;
    public int StartPosition;
    public int Rows;
    public int Heads;

    /// <summary>q_lat [Rows, Heads, LatentDim] = W_UKᵀ·q_nope per head.</summary>
    public float* QueryLatent;

    /// <summary>Rotated q_pe of (row, head) at QueryRope + row·QueryRopeRowStride + head·QueryRopeHeadStride.</summary>
    public float* QueryRope;
    public int QueryRopeRowStride;
    public int QueryRopeHeadStride;
    public float Scale;

    /// <summary>o_lat [Rows, Heads, LatentDim] = Σ_t p_t·c_t.</summary>
    public float* Output;
}
