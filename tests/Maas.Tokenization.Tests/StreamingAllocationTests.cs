using Maas.Tokenization;
using Xunit;

namespace Maas.Tokenization.Tests;

/// <summary>Detokenizing and stop matching run once per token per sequence: after warm-up they must not allocate.</summary>
public sealed class StreamingAllocationTests
{
    [Fact]
    public void Detokenizer_and_stop_matcher_do_not_allocate_per_token()
    {
        TextTokenizer tokenizer = TokenizerAssets.DeepSeekV3;
        int[] ids = tokenizer.Encode("Temperatur 🔥 steigt auf 80 °C — 请检查 𝔘𝔫𝔦 END? no, ENDE.");
        var detokenizer = new StreamingDetokenizer(tokenizer);
        var matcher = new StopSequenceMatcher(["END.", "STOP"]);
        RunOnce(ids, detokenizer, matcher); // warm-up (JIT, buffer growth)

        // Background tier-up of the JIT can allocate once inside a window; a per-token allocation shows in every window.
        long allocated = long.MaxValue;
        int emitted = 0;
        for (int window = 0; window < 3; window++)
        {
            detokenizer.Reset();
            matcher.Reset();
            long before = GC.GetAllocatedBytesForCurrentThread();
            emitted = RunOnce(ids, detokenizer, matcher);
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(emitted > 0);
        Assert.Equal(0, allocated);
    }

    private static int RunOnce(int[] ids, StreamingDetokenizer detokenizer, StopSequenceMatcher matcher)
    {
        int emitted = 0;
        foreach (int id in ids)
        {
            emitted += matcher.Process(detokenizer.Push(id)).Length;
        }

        return emitted;
    }
}
