using Xunit;
using Maas.Engine.Serving;

namespace Maas.Engine.Tests.Serving;

public sealed class InferenceEngineTests(RandomModelFixture fixture) : IClassFixture<RandomModelFixture>
{
    private InferenceEngine Engine => fixture.Engine;

    private static GenerationRequest Request(string id, int[] prompt, int maxTokens, SamplingParameters? sampling = null, IReadOnlyList<string>? stop = null) => new()
    {
        RequestId = id,
        PromptTokens = prompt,
        MaxTokens = maxTokens,
        Sampling = sampling ?? new SamplingParameters { Temperature = 0 },
        Stop = stop ?? [],
        StopAtEos = false,
    };

    private int[] Prompt(string text) => [Engine.Tokenizer.BosTokenId, .. Engine.Tokenizer.Encode(text)];

    private static async Task<(List<int> Tokens, string Text, GenerationEvent Final)> RunAsync(InferenceEngine engine, GenerationRequest request, CancellationToken cancellationToken = default)
    {
        var tokens = new List<int>();
        var text = new System.Text.StringBuilder();
        GenerationEvent? final = null;
        await foreach (var e in engine.GenerateAsync(request, cancellationToken))
        {
            if (e.TokenId >= 0)
            {
                tokens.Add(e.TokenId);
            }

            text.Append(e.Text);
            if (e.Finish is not null)
            {
                final = e;
            }
        }

        return (tokens, text.ToString(), final ?? throw new InvalidOperationException("no final event"));
    }

    [Fact]
    public async Task Max_tokens_ends_with_length_and_counts_tokens()
    {
        var (tokens, _, final) = await RunAsync(Engine, Request("len", Prompt("The pump on line 4"), 9));
        Assert.Equal(9, tokens.Count);
        Assert.Equal(FinishReason.Length, final.Finish);
        Assert.Equal(9, final.CompletionTokens);
        Assert.Equal(Prompt("The pump on line 4").Length, final.PromptTokens);
    }

    [Fact]
    public async Task Same_seed_gives_same_tokens_and_other_seeds_differ()
    {
        var sampling = new SamplingParameters { Temperature = 1.0f, Seed = 1234 };
        var a = await RunAsync(Engine, Request("a", Prompt("Seeded"), 24, sampling));
        var b = await RunAsync(Engine, Request("b", Prompt("Seeded"), 24, sampling));
        var c = await RunAsync(Engine, Request("c", Prompt("Seeded"), 24, sampling with { Seed = 99 }));
        Assert.Equal(a.Tokens, b.Tokens);
        Assert.NotEqual(a.Tokens, c.Tokens);
    }

    [Fact]
    public async Task Constrained_and_free_sequences_share_a_batch_and_only_the_constrained_ones_are_masked()
    {
        var grammar = Maas.Grammar.GrammarCompiler.JsonSchema(Maas.Testing.SchemaCorpus.MaintenanceTicket, "schema");
        var schema = Json.Schema.JsonSchema.FromText(Maas.Testing.SchemaCorpus.MaintenanceTicket);
        var sampling = new SamplingParameters { Temperature = 1, Seed = 3 };
        var freeAlone = await RunAsync(Engine, Request("free-alone", Prompt("Ticket:"), 24, sampling));

        var stepsBefore = Engine.Steps;
        var runs = await Task.WhenAll(
            RunAsync(Engine, Request("free", Prompt("Ticket:"), 24, sampling)),
            RunAsync(Engine, Request("json-1", Prompt("Ticket:"), 400, sampling) with { Grammar = grammar, StopAtEos = true }),
            RunAsync(Engine, Request("json-2", Prompt("Ticket:"), 400, sampling with { Seed = 4 }) with { Grammar = grammar, StopAtEos = true }));
        var steps = Engine.Steps - stepsBefore;

        // The free sequence drew the same tokens as alone: masks are per sequence, never per batch.
        Assert.Equal(freeAlone.Tokens, runs[0].Tokens);
        foreach (var constrained in runs[1..])
        {
            Assert.Equal(FinishReason.Stop, constrained.Final.Finish);
            using var document = System.Text.Json.JsonDocument.Parse(constrained.Text);
            Assert.True(schema.Evaluate(document.RootElement, new Json.Schema.EvaluationOptions { RequireFormatValidation = true }).IsValid, constrained.Text);
        }

        Assert.True(steps < runs.Sum(r => r.Tokens.Count), $"expected shared steps, took {steps}");
    }

    [Fact]
    public async Task Sequences_in_one_batch_get_the_same_tokens_as_alone()
    {
        string[] texts = ["Valve 7 reports", "Temperature of the kiln", "A", "Shift report for the night crew at plant 3", "Maintenance", "Error code 0x1F", "Hello", "Torque"];
        var alone = new List<List<int>>();
        await using (var single = fixture.Load(maxBatchSequences: 1))
        {
            foreach (var text in texts)
            {
                alone.Add((await RunAsync(single, Request("alone", Prompt(text), 12))).Tokens);
            }
        }

        var stepsBefore = Engine.Steps;
        var batched = await Task.WhenAll(texts.Select((text, i) => RunAsync(Engine, Request("batched" + i, Prompt(text), 12))));
        var steps = Engine.Steps - stepsBefore;
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(alone[i], batched[i].Tokens);
        }

        // Run one after another these would take 8 x 12 steps; sharing a batch they take far fewer.
        Assert.True(steps < texts.Length * 12 / 2, $"expected the 8 requests to share steps, took {steps}");
    }

    [Fact]
    public async Task Stop_string_ends_generation_before_it()
    {
        var free = await RunAsync(Engine, Request("free", Prompt("Line speed"), 16));
        Assert.True(free.Text.Length > 6, "the random model should produce some text");
        var stop = free.Text.Substring(free.Text.Length / 2, 3);
        var expected = free.Text[..free.Text.IndexOf(stop, StringComparison.Ordinal)];

        var stopped = await RunAsync(Engine, Request("stopped", Prompt("Line speed"), 16, stop: [stop]));
        Assert.Equal(FinishReason.Stop, stopped.Final.Finish);
        Assert.Equal(expected, stopped.Text);
        Assert.DoesNotContain(stop, stopped.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_frees_the_batch_slot()
    {
        await using var engine = fixture.Load(maxBatchSequences: 1);
        using var cts = new CancellationTokenSource();
        var first = new TaskCompletionSource();
        var run = Task.Run(async () =>
        {
            await foreach (var e in engine.GenerateAsync(Request("long", Prompt("Long"), 3000), cts.Token))
            {
                first.TrySetResult();
            }
        });
        await first.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, engine.ActiveSequences);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        // With one slot, the next request can only finish if the cancelled one gave its slot back.
        var next = await RunAsync(engine, Request("next", Prompt("Next"), 3)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(3, next.Tokens.Count);
        Assert.Equal(0, engine.ActiveSequences);
    }

    [Fact]
    public async Task Long_prompt_is_prefilled_in_chunks_interleaved_with_running_decodes()
    {
        // Steps of at most 16 tokens: while the 150-token prompt is prefilled, every step also decodes the running stream.
        var steps = new System.Collections.Concurrent.ConcurrentQueue<(int Sequences, int Tokens)>();
        await using var engine = fixture.Load(maxBatchSequences: 2, maxBatchTokens: 16, stepObserver: (s, t) => steps.Enqueue((s, t)));
        var decoding = new TaskCompletionSource();
        int decodedTokens = 0;
        var running = Task.Run(async () =>
        {
            await foreach (var e in engine.GenerateAsync(Request("running", Prompt("Conveyor 2"), 80), CancellationToken.None))
            {
                if (e.TokenId >= 0 && Interlocked.Increment(ref decodedTokens) == 1)
                {
                    decoding.SetResult();
                }
            }
        });
        await decoding.Task.WaitAsync(TimeSpan.FromSeconds(30));

        int before = Volatile.Read(ref decodedTokens);
        int[] longPrompt = [.. Enumerable.Range(0, 150).Select(i => 100 + i)];
        var (tokens, _, _) = await RunAsync(engine, Request("long", longPrompt, 2)).WaitAsync(TimeSpan.FromSeconds(60));
        int during = Volatile.Read(ref decodedTokens) - before;
        await running.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, tokens.Count);
        // 150 prompt tokens at 15 per step (one slot of 16 goes to the decode): 10 mixed steps, each a decode token too.
        int mixed = steps.Count(s => s.Sequences == 2 && s.Tokens == 16);
        Assert.True(mixed >= 9, $"expected the prompt in about 10 chunks next to the decode, saw {mixed} full mixed steps");
        Assert.True(during >= mixed, $"the running sequence decoded {during} tokens while the prompt's {mixed} chunks ran");
    }

    [Fact]
    public async Task Logprobs_come_with_requested_alternatives()
    {
        var sampling = new SamplingParameters { Temperature = 0, Logprobs = true, TopLogprobs = 3 };
        await foreach (var e in Engine.GenerateAsync(Request("lp", Prompt("Logprobs"), 4, sampling), CancellationToken.None))
        {
            if (e.TokenId < 0)
            {
                continue;
            }

            Assert.NotNull(e.Logprob);
            Assert.True(e.Logprob <= 0);
            Assert.NotNull(e.TopLogprobs);
            Assert.Equal(3, e.TopLogprobs!.Count);
            // Greedy: the chosen token is the most likely one.
            Assert.Equal(e.TopLogprobs[0].TokenId, e.TokenId);
            Assert.Equal(e.TopLogprobs[0].Logprob, e.Logprob!.Value, 5);
        }
    }

    [Fact]
    public void Bad_prompts_are_refused_before_queueing()
    {
        Assert.Throws<ArgumentException>(() => Engine.GenerateAsync(Request("empty", [], 4), CancellationToken.None).GetAsyncEnumerator().MoveNextAsync().AsTask().GetAwaiter().GetResult());
        Assert.Throws<ArgumentException>(() => Engine.GenerateAsync(Request("oov", [Engine.Model.VocabSize], 4), CancellationToken.None).GetAsyncEnumerator().MoveNextAsync().AsTask().GetAwaiter().GetResult());
        Assert.Equal(0, Engine.QueuedSequences);
    }
}
