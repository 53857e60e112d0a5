using System.CommandLine;
using System.Diagnostics;
using Maas.Engine;
using Maas.Engine.Serving;
using Maas.Tokenization;

namespace Maas.Cli.Commands;

/// <summary>`maas generate`: loads a model folder and streams a completion to the terminal.</summary>
public static class GenerateTextCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder (Hugging Face layout)", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "Prompt text", Required = true };
        var raw = new Option<bool>("--raw") { Description = "Send the prompt as is instead of as a chat user message" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens to generate", DefaultValueFactory = _ => 64 };
        var temperature = new Option<float>("--temperature") { DefaultValueFactory = _ => 0.7f };
        var topP = new Option<float>("--top-p") { DefaultValueFactory = _ => 1f };
        var seed = new Option<long?>("--seed");
        var weights = EngineOptions.WeightsOption();
        var threads = EngineOptions.ThreadsOption();

        var command = new Command("generate", "Stream a completion from a model folder") { model, prompt, raw, maxTokens, temperature, topP, seed, weights, threads };
        command.SetMaasAction(async (parseResult, output, cancellationToken) =>
        {
            var folder = parseResult.GetValue(model)!;
            var load = Stopwatch.StartNew();
            await using var engine = InferenceEngine.Load(new InferenceEngineOptions
            {
                ModelPath = folder,
                Weights = EngineOptions.Weights(parseResult, weights),
                Threads = parseResult.GetValue(threads),
                MaxBatchSequences = 1,
                KvCacheTokens = 8192,
                LoadProgress = TerminalProgressBar.For(parseResult, "loading model"),
            });
            Console.Error.WriteLine($"loaded {engine.Model.Architecture} in {load.Elapsed.TotalSeconds:F1} s; kernels: {engine.Kernels}");

            var text = parseResult.GetValue(prompt)!;
            var tokenizer = engine.Tokenizer;
            var ids = new List<int>();
            if (parseResult.GetValue(raw))
            {
                // The operator's own raw prompt: special tokens written in it are meant as such.
                if (tokenizer.AddBosToken)
                {
                    ids.Add(tokenizer.BosTokenId);
                }

                ids.AddRange(tokenizer.Encode(text));
            }
            else
            {
                ids.AddRange(ChatTemplate.ForModel(folder).Encode([new ChatMessage("user", text)], addGenerationPrompt: true, tokenizer));
            }

            var request = new GenerationRequest
            {
                RequestId = "cli",
                PromptTokens = ids,
                MaxTokens = parseResult.GetValue(maxTokens),
                Sampling = new SamplingParameters
                {
                    Temperature = parseResult.GetValue(temperature),
                    TopP = parseResult.GetValue(topP),
                    Seed = parseResult.GetValue(seed),
                },
            };

            var watch = Stopwatch.StartNew();
            TimeSpan? firstToken = null;
            await foreach (var item in engine.GenerateAsync(request, cancellationToken))
            {
                firstToken ??= watch.Elapsed;
                Console.Write(item.Text);
                if (item.Finish is { } finish)
                {
                    Console.WriteLine();
                    var decode = (watch.Elapsed - firstToken.Value).TotalSeconds;
                    Console.Error.WriteLine(
                        $"[{finish}] prompt {item.PromptTokens} tokens, completion {item.CompletionTokens} tokens, " +
                        $"first token {firstToken.Value.TotalMilliseconds:F0} ms, {(item.CompletionTokens - 1) / Math.Max(decode, 1e-9):F1} tokens/s");
                }
            }

            return 0;
        });
        return command;
    }
}
