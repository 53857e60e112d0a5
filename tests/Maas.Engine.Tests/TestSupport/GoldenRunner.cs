using Maas.Engine.KvCache;
using Maas.Engine.Model;

namespace Maas.Engine.Tests.TestSupport;

/// <summary>The tests' name for the engine's <see cref="SequenceRunner"/> (the same code `maas check-golden` runs).</summary>
internal static class GoldenRunner
{
    public static float[] Prefill(DeepseekModel model, PagedKvCache cache, int[] tokens) => SequenceRunner.Prefill(model, cache, tokens);

    public static float[] PrefillThenDecode(DeepseekModel model, PagedKvCache cache, int[] tokens, int decodeCount) =>
        SequenceRunner.PrefillThenDecode(model, cache, tokens, decodeCount);

    public static int DecodeCount(int length) => SequenceRunner.DecodeCount(length);
}
