using Maas.Testing;

namespace Maas.Cli.Tests;

/// <summary>The CLI's engine commands on a golden tiny model (no database needed).</summary>
public sealed class EngineCliTests
{
    [Fact]
    public async Task Bench_engine_reports_kernels_prefill_decode_and_synthetic_contexts_for_every_case()
    {
        var model = TestEnvironment.Fixture("golden", "deepseek2-tiny-a");
        var run = await CliRun.InvokeAsync("bench", "engine", "--model", model, "--weights", "q8", "--threads", "2",
            "--cases", "1x40:2,3x5:2", "--contexts", "70", "--steps", "2", "--prefill-chunk", "16");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("kernels: simd ", run.Output, StringComparison.Ordinal);
        Assert.Contains("q8: ", run.Output, StringComparison.Ordinal);
        // 40 prompt tokens in steps of at most 16: 3 steps; 3 x 5 = 15 tokens in one step.
        Assert.Contains("prefill: 1 x 40 tokens in ", run.Output, StringComparison.Ordinal);
        Assert.Contains("(3 steps of at most 16 tokens)", run.Output, StringComparison.Ordinal);
        Assert.Contains("prefill: 3 x 5 tokens in ", run.Output, StringComparison.Ordinal);
        Assert.Contains("decode: batch 1 after 40-token prompts, 2 steps", run.Output, StringComparison.Ordinal);
        Assert.Contains("decode: batch 3 after 5-token prompts, 2 steps", run.Output, StringComparison.Ordinal);
        Assert.Contains("decode: batch 1 at 70 tokens of context (synthetic cache), 2 steps", run.Output, StringComparison.Ordinal);

        // Load progress goes to stderr, never into the measurements on stdout.
        Assert.Contains("loading model 100%", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("loading model", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_engine_refuses_a_malformed_case()
    {
        var run = await CliRun.InvokeAsync("bench", "engine", "--model", TestEnvironment.Fixture("golden", "deepseek2-tiny-a"), "--cases", "16by32");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("BATCHxPROMPT", run.Error, StringComparison.Ordinal);
    }
}
