using Maas.Checkpoints;
using Maas.Engine.Checkpoints;
using Maas.Engine.Experts;
using Maas.Engine.Kernels;
using Maas.Engine.Weights;

namespace Maas.Engine.Model;

/// <summary>Activation buffers of one Forward step, sized once for the largest batch (native, aligned, reused).</summary>
internal sealed class RunState : IDisposable
{
    public RunState(ModelConfig c, int maxTokens, int maxSequences)
    {
        int heads = c.NumAttentionHeads;
        int ffnWidth = Math.Max(c.IntermediateSize, c.MoeIntermediateSize * c.NSharedExperts);
        int topK = Math.Max(1, c.NumExpertsPerTok);
        X = new NativeBuffer<float>((long)maxTokens * c.HiddenSize);
        Normed = new NativeBuffer<float>((long)maxTokens * c.HiddenSize);
        Temp = new NativeBuffer<float>((long)maxTokens * c.HiddenSize);
        MoeOut = new NativeBuffer<float>((long)maxTokens * c.HiddenSize);
        QLora = new NativeBuffer<float>((long)maxTokens * (c.QLoraRank ?? 1));
        Q = new NativeBuffer<float>((long)maxTokens * heads * c.QHeadDim);
        KvA = new NativeBuffer<float>((long)maxTokens * c.KvEntryDim);
        QLatent = new NativeBuffer<float>((long)maxTokens * heads * c.KvLoraRank);
        OLatent = new NativeBuffer<float>((long)maxTokens * heads * c.KvLoraRank);
        AttnValues = new NativeBuffer<float>((long)maxTokens * heads * c.VHeadDim);
        // Gate and up halves of one buffer, so both projections run as one MatMulHeads dispatch.
        UpOffset = (long)maxTokens * ffnWidth;
        GateUp = new NativeBuffer<float>(2 * UpOffset);
        RouterLogits = new NativeBuffer<float>((long)maxTokens * Math.Max(1, c.NRoutedExperts));
        Cos = new NativeBuffer<float>((long)maxTokens * (c.QkRopeHeadDim / 2));
        Sin = new NativeBuffer<float>((long)maxTokens * (c.QkRopeHeadDim / 2));
        RowPosition = new int[maxTokens];
        RowEntry = new int[maxTokens];
        ExpertIds = new int[maxTokens * topK];
        ExpertWeights = new float[maxTokens * topK];
        Assignments = new ExpertAssignment[maxTokens * topK];
        AssignmentSubset = new ExpertAssignment[maxTokens * topK];
        LogitRows = new int[maxTokens];
        AttentionArgs = new LatentAttentionArgs[maxSequences];
        ExpandedAttentionArgs = new ExpandedAttentionArgs[maxSequences];
        AbsorbedRanges = new int[2 * maxSequences];
    }

    public NativeBuffer<float> X { get; }
    public NativeBuffer<float> Normed { get; }
    public NativeBuffer<float> Temp { get; }
    public NativeBuffer<float> MoeOut { get; }
    public NativeBuffer<float> QLora { get; }
    public NativeBuffer<float> Q { get; }
    public NativeBuffer<float> KvA { get; }
    public NativeBuffer<float> QLatent { get; }
    public NativeBuffer<float> OLatent { get; }
    public NativeBuffer<float> AttnValues { get; }
    public NativeBuffer<float> GateUp { get; }
    public long UpOffset { get; }
    public LatentAttentionArgs[] AttentionArgs { get; }
    public ExpandedAttentionArgs[] ExpandedAttentionArgs { get; }

    /// <summary>(first row, row count) of each run of consecutive entries using absorbed attention in a step.</summary>
    public int[] AbsorbedRanges { get; }
    public NativeBuffer<float> RouterLogits { get; }
    public NativeBuffer<float> Cos { get; }
    public NativeBuffer<float> Sin { get; }
    public int[] RowPosition { get; }
    public int[] RowEntry { get; }
    public int[] ExpertIds { get; }
    public float[] ExpertWeights { get; }
    public ExpertAssignment[] Assignments { get; }
    public ExpertAssignment[] AssignmentSubset { get; }
    public int[] LogitRows { get; }

    public void Dispose()
    {
        foreach (NativeBuffer<float> b in new[] { X, Normed, Temp, MoeOut, QLora, Q, KvA, QLatent, OLatent, AttnValues, GateUp, RouterLogits, Cos, Sin })
        {
            b.Dispose();
        }
    }
}
