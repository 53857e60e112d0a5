using System.Diagnostics;
using Maas.Engine;
using Maas.Engine.Sampling;
using Maas.Engine.Serving;
using Maas.Grains.Abstractions.Models;
using Maas.Grammar;
using Maas.Testing;
using Maas.Tokenization;

namespace Maas.Benchmarks.Engine;

/// <summary>
/// `structured`: what constrained decoding costs (issue 17). The maintenance-ticket schema (SchemaCorpus) compiled cold
/// and from the cache; the vocabulary trie built once per model; the grammar's share of a step (mask lookup or trie walk,
/// and the step past the token) on random walks, cold and warm; then decode tokens/s of the model at batch 1 and 16 with
/// every sequence constrained by the schema against the same batch unconstrained (ignore_eos, same max_tokens), each
/// after a warm-up round (the first constrained round, with cold masks, is printed too).
/// </summary>
public static class StructuredOutputThroughput
{
    public static async Task<int> RunAsync(string[] args)
    {
        var model = Arg(args, "--model", Path.Combine(TestEnvironment.RepositoryRoot, ".data", "models", "bench-v2lite-fp8"));
        var threads = int.Parse(Arg(args, "--threads", "2"), System.Globalization.CultureInfo.InvariantCulture);
        var maxTokens = int.Parse(Arg(args, "--max-tokens", "96"), System.Globalization.CultureInfo.InvariantCulture);
        var weights = Enum.Parse<WeightPrecision>(Arg(args, "--weights", "Q8"), ignoreCase: true);

        // Compile: the first compile pays JIT too, so a second uncached compile is the steady cold figure.
        var started = Stopwatch.GetTimestamp();
        GrammarCompiler.JsonSchema(SchemaCorpus.MaintenanceTicket, "schema");
        var firstCompile = Stopwatch.GetElapsedTime(started);
        started = Stopwatch.GetTimestamp();
        var grammar = GrammarCompiler.JsonSchema(SchemaCorpus.MaintenanceTicket, "schema");
        var coldCompile = Stopwatch.GetElapsedTime(started);
        var constraint = new OutputConstraint { Kind = OutputConstraintKind.JsonSchema, Schema = SchemaCorpus.MaintenanceTicket };
        constraint.Compile();
        started = Stopwatch.GetTimestamp();
        const int cachedRounds = 1000;
        for (var i = 0; i < cachedRounds; i++)
        {
            constraint.Compile();
        }

        var cachedCompile = Stopwatch.GetElapsedTime(started) / cachedRounds;
        Console.WriteLine($"schema compile (maintenance ticket, {grammar.StateCount} states): first {firstCompile.TotalMilliseconds:F1} ms (with JIT), cold {coldCompile.TotalMilliseconds:F2} ms, cached {cachedCompile.TotalMicroseconds:F1} µs");

        var tokenizer = TextTokenizer.Load(model);
        started = Stopwatch.GetTimestamp();
        var vocabulary = GrammarVocabulary.From(tokenizer);
        Console.WriteLine($"vocabulary trie ({vocabulary.Size} tokens): {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms, once per model");
        MeasureMasks(new TokenGrammar(constraint.Compile(), vocabulary), tokenizer, maxTokens);

        Console.WriteLine($"engine: {model}, weights {weights}, {threads} threads, max_tokens {maxTokens}");
        await using var engine = InferenceEngine.Load(new InferenceEngineOptions { ModelPath = model, Weights = weights, Threads = threads, MaxBatchSequences = 16, KvCacheTokens = 16 * 256 });
        var prompt = tokenizer.Encode(string.Concat(Enumerable.Repeat("pump seal leaking on line three ", 5)), AddedTokenHandling.AsText)[..32];
        foreach (var batch in Arg(args, "--batches", "1,16").Split(',').Select(b => int.Parse(b, System.Globalization.CultureInfo.InvariantCulture)))
        {
            await DecodeAsync(engine, prompt, batch, maxTokens, null, "warm-up");
            var free = await DecodeAsync(engine, prompt, batch, maxTokens, null, "unconstrained");
            var cold = await DecodeAsync(engine, prompt, batch, maxTokens, constraint.Compile(), "constrained (first round)");
            var warm = await DecodeAsync(engine, prompt, batch, maxTokens, constraint.Compile(), "constrained");
            Console.WriteLine($"batch {batch}: constrained / unconstrained = {warm / free:F3} (first round {cold / free:F3})");
        }

        return 0;
    }

    /// <summary>Random walks under the mask (uniform among allowed tokens, as the tests draw): the grammar's time per token.</summary>
    private static void MeasureMasks(TokenGrammar grammar, TextTokenizer tokenizer, int budget)
    {
        foreach (var round in new[] { "cold", "warm" })
        {
            long tokens = 0;
            var ticks = 0L;
            for (var seed = 0; seed < 8; seed++)
            {
                var random = new Random(seed);
                var matcher = grammar.CreateMatcher();
                for (var n = 0; n < budget && !matcher.IsComplete; n++)
                {
                    var started = Stopwatch.GetTimestamp();
                    var mask = matcher.AllowedTokens(budget - n);
                    ticks += Stopwatch.GetTimestamp() - started;
                    var token = RandomAllowed(mask, random);
                    if (tokenizer.EosTokenIds.Contains(token))
                    {
                        break;
                    }

                    started = Stopwatch.GetTimestamp();
                    matcher.Accept(token);
                    ticks += Stopwatch.GetTimestamp() - started;
                    tokens++;
                }
            }

            var (computed, requested) = grammar.MaskStatistics;
            Console.WriteLine($"grammar per token ({round}, 8 random walks, {tokens} tokens): {ticks * 1e6 / Stopwatch.Frequency / tokens:F1} µs; masks computed so far {computed} of {requested} requests");
        }
    }

    private static int RandomAllowed(ReadOnlySpan<ulong> mask, Random random)
    {
        var count = 0;
        foreach (var word in mask)
        {
            count += System.Numerics.BitOperations.PopCount(word);
        }

        var pick = random.Next(count);
        for (var w = 0; w < mask.Length; w++)
        {
            var bits = mask[w];
            var here = System.Numerics.BitOperations.PopCount(bits);
            if (pick >= here)
            {
                pick -= here;
                continue;
            }

            for (; pick > 0; pick--)
            {
                bits &= bits - 1;
            }

            return w * 64 + System.Numerics.BitOperations.TrailingZeroCount(bits);
        }

        throw new InvalidOperationException("empty mask");
    }

    /// <summary>Runs <paramref name="batch"/> sequences at once; returns generated tokens per second of wall time.</summary>
    private static async Task<double> DecodeAsync(InferenceEngine engine, int[] prompt, int batch, int maxTokens, Maas.Grammar.Grammar? grammar, string label)
    {
        var grammarTicks = engine.GrammarTicks;
        var started = Stopwatch.GetTimestamp();
        var counts = await Task.WhenAll(Enumerable.Range(0, batch).Select(async i =>
        {
            var request = new GenerationRequest
            {
                RequestId = $"{label}-{batch}-{i}",
                PromptTokens = prompt,
                MaxTokens = maxTokens,
                StopAtEos = grammar is not null,
                Grammar = grammar,
                Sampling = new SamplingParameters { Seed = i, Temperature = 1 },
            };
            var tokens = 0;
            await foreach (var e in engine.GenerateAsync(request, CancellationToken.None))
            {
                tokens = e.Finish is null ? tokens : e.CompletionTokens;
            }

            return tokens;
        }));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var total = counts.Sum();
        var grammarMs = (engine.GrammarTicks - grammarTicks) * 1000.0 / Stopwatch.Frequency;
        Console.WriteLine($"  batch {batch,2} {label,-26} {total,5} tokens in {seconds,6:F2} s = {total / seconds,7:F1} tokens/s (grammar {grammarMs:F0} ms, {grammarMs * 1000 / Math.Max(1, total):F0} µs/token)");
        return total / seconds;
    }

    private static string Arg(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
