using Maas.Engine.KvCache;

namespace Maas.Engine.Model;

/// <summary>
/// Runs one token sequence through a model and returns the logits at every position, either as one
/// prefill or as a prefill followed by token-by-token decode: the two paths a reference check compares
/// (`maas check-golden`, the golden tests).
/// </summary>
public static class SequenceRunner
{
    /// <summary>All-position logits of the whole sequence in one prefill step.</summary>
    public static float[] Prefill(DeepseekModel model, PagedKvCache cache, int[] tokens)
    {
        var logits = new float[tokens.Length * model.VocabSize];
        KvSequence sequence = cache.CreateSequence();
        try
        {
            ForwardBatch batch = model.CreateBatch();
            batch.Add(sequence, tokens, allLogits: true);
            model.Forward(batch, cache, logits);
        }
        finally
        {
            cache.Free(sequence);
        }

        return logits;
    }

    /// <summary>Prefill of all but the last <paramref name="decodeCount"/> tokens, then one token per step.</summary>
    public static float[] PrefillThenDecode(DeepseekModel model, PagedKvCache cache, int[] tokens, int decodeCount)
    {
        int vocab = model.VocabSize;
        var logits = new float[tokens.Length * vocab];
        int prefix = tokens.Length - decodeCount;
        KvSequence sequence = cache.CreateSequence();
        try
        {
            ForwardBatch batch = model.CreateBatch();
            batch.Add(sequence, tokens.AsSpan(0, prefix), allLogits: true);
            model.Forward(batch, cache, logits.AsSpan(0, prefix * vocab));
            for (int i = prefix; i < tokens.Length; i++)
            {
                batch.Clear();
                batch.Add(sequence, tokens.AsSpan(i, 1));
                model.Forward(batch, cache, logits.AsSpan(i * vocab, vocab));
            }
        }
        finally
        {
            cache.Free(sequence);
        }

        return logits;
    }

    /// <summary>How many final tokens the decode path decodes one at a time (10, or all but the first for short sequences).</summary>
    public static int DecodeCount(int length) => Math.Min(10, length - 1);
}
