using Maas.Engine.Serving;
using Xunit;

namespace Maas.Engine.Tests.Serving;

/// <summary>Priority classes of the scheduler: interactive sequences first, batch sequences only in idle room.</summary>
public sealed class PrioritySchedulingTests(RandomModelFixture fixture) : IClassFixture<RandomModelFixture>
{
    private static GenerationRequest Request(string id, int[] prompt, int maxTokens, GenerationPriority priority) => new()
    {
        RequestId = id,
        PromptTokens = prompt,
        MaxTokens = maxTokens,
        Sampling = new SamplingParameters { Temperature = 0 },
        StopAtEos = false,
        Priority = priority,
    };

    private static async Task<List<GenerationEvent>> CollectAsync(InferenceEngine engine, GenerationRequest request, TaskCompletionSource? firstToken = null)
    {
        var events = new List<GenerationEvent>();
        await foreach (var e in engine.GenerateAsync(request, CancellationToken.None))
        {
            events.Add(e);
            if (e.TokenId >= 0)
            {
                firstToken?.TrySetResult();
            }
        }

        return events;
    }

    private static int[] Tokens(List<GenerationEvent> events) => [.. events.Where(e => e.TokenId >= 0).Select(e => e.TokenId)];

    private int[] Prompt(string text) => [fixture.Engine.Tokenizer.BosTokenId, .. fixture.Engine.Tokenizer.Encode(text)];

    [Fact]
    public async Task An_interactive_request_preempts_a_full_batch_within_one_step_and_every_sequence_keeps_its_tokens()
    {
        await using var engine = fixture.Load(maxBatchSequences: 2);
        var batchPrompts = new[] { Prompt("Shift report line 3"), Prompt("Maintenance log press 2") };
        var interactivePrompt = Prompt("Is pump 7 running?");

        // What each sequence produces with the engine to itself (greedy): preemption must not change a token.
        var aloneBatch = new List<int[]>();
        foreach (var prompt in batchPrompts)
        {
            aloneBatch.Add(Tokens(await CollectAsync(engine, Request("alone", prompt, 60, GenerationPriority.Batch))));
        }

        var aloneInteractive = Tokens(await CollectAsync(engine, Request("alone-i", interactivePrompt, 8, GenerationPriority.Interactive)));

        var started = batchPrompts.Select(_ => new TaskCompletionSource()).ToArray();
        var batch = batchPrompts.Select((p, i) => Task.Run(() => CollectAsync(engine, Request("batch-" + i, p, 60, GenerationPriority.Batch), started[i]))).ToArray();
        await Task.WhenAll(started.Select(s => s.Task)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, engine.ActiveSequences);

        var before = engine.Steps;
        var interactive = await CollectAsync(engine, Request("interactive", interactivePrompt, 8, GenerationPriority.Interactive)).WaitAsync(TimeSpan.FromSeconds(30));
        var batchResults = await Task.WhenAll(batch).WaitAsync(TimeSpan.FromSeconds(60));

        // The step running when it arrived, then its own prefill step produces its first token.
        var firstTokenStep = interactive.First(e => e.TokenId >= 0).Step;
        Assert.True(firstTokenStep <= before + 2, $"first interactive token at step {firstTokenStep}, enqueued after step {before}");
        Assert.True(engine.Preemptions >= 1);
        Assert.Equal(aloneInteractive, Tokens(interactive));
        for (var i = 0; i < batchResults.Length; i++)
        {
            Assert.Equal(aloneBatch[i], Tokens(batchResults[i]));
            var final = batchResults[i][^1];
            Assert.Equal(FinishReason.Length, final.Finish);
            Assert.Equal(60, final.CompletionTokens);
            Assert.Equal(batchPrompts[i].Length, final.PromptTokens);
        }
    }

    [Fact]
    public async Task Batch_requests_wait_for_idle_slots_and_never_take_one_from_an_interactive_request()
    {
        await using var engine = fixture.Load(maxBatchSequences: 1);
        var started = new TaskCompletionSource();
        var interactive = Task.Run(() => CollectAsync(engine, Request("interactive", Prompt("Line 3 status"), 40, GenerationPriority.Interactive), started));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var batch = await CollectAsync(engine, Request("batch", Prompt("Defect triage"), 5, GenerationPriority.Batch)).WaitAsync(TimeSpan.FromSeconds(60));
        var interactiveEvents = await interactive;

        Assert.Equal(0, engine.Preemptions);
        // The one slot was the interactive request's until it finished: the batch request's first token came after it.
        Assert.True(batch.First(e => e.TokenId >= 0).Step > interactiveEvents[^1].Step);
        Assert.Equal(5, Tokens(batch).Length);
    }

    [Fact]
    public async Task Interactive_prompts_are_prefilled_before_batch_prompts_in_a_step()
    {
        // 16-token steps: a 320-token batch prompt (20 steps alone) starts, then a 96-token interactive prompt arrives;
        // its chunks take the steps' budget first, so it finishes its prefill (and its first token) before the batch
        // prompt does, although the batch prompt had a head start.
        await using var engine = fixture.Load(maxBatchSequences: 2, maxBatchTokens: 16);
        int[] batchPrompt = [.. Enumerable.Range(0, 320).Select(i => 100 + i)];
        int[] interactivePrompt = [.. Enumerable.Range(0, 96).Select(i => 500 + i)];
        var batch = Task.Run(() => CollectAsync(engine, Request("batch", batchPrompt, 1, GenerationPriority.Batch)));
        var interactive = Task.Run(() => CollectAsync(engine, Request("interactive", interactivePrompt, 1, GenerationPriority.Interactive)));
        var results = await Task.WhenAll(batch, interactive).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(results[1][0].Step <= results[0][0].Step, $"interactive first token at step {results[1][0].Step}, batch at {results[0][0].Step}");
    }
}
