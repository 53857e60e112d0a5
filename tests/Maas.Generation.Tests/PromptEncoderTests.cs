using Maas.Generation.Models;
using Maas.Generation.Pipeline;
using Maas.Generation.Requests;
using Maas.Infrastructure.OpenAi;
using Maas.Testing;
using Maas.Tokenization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Maas.Generation.Tests;

/// <summary>
/// Issue 16, item 2, below the api: <see cref="PromptEncoder"/> bounds tokenizing in concurrency and time, and
/// <see cref="PromptSize"/>, what admission sees before any tokenizer runs, never understates a prompt.
/// </summary>
public sealed class PromptEncoderTests
{
    private const string Model = "encoder-model";
    private const int BigContext = 131072;

    private static string Folder => SeededTenants.GoldenModelFolder;

    [Fact]
    public async Task A_request_waiting_too_long_for_a_tokenization_slot_is_503_tokenizer_busy()
    {
        using var encoder = new PromptEncoder(
            Options.Create(new GenerationOptions { TokenizationConcurrency = 1, TokenizationQueueTimeout = TimeSpan.FromMilliseconds(50), TokenizationTimeout = TimeSpan.FromMinutes(1) }),
            NullLogger<PromptEncoder>.Instance);
        var model = new ServedModel(Model, Folder, "maas", 1, BigContext, 0);
        _ = model.Tokenizer;
        var slow = Completion(new string('a', 2 << 20));
        using var stop = new CancellationTokenSource();

        var running = Task.Run(() => encoder.EncodeAsync(model, slow, stop.Token));
        var busy = false;
        for (var i = 0; i < 3000 && !busy && !running.IsCompleted; i++)
        {
            busy = await IsBusyAsync();
            if (!busy)
            {
                await Task.Delay(10);
            }
        }

        await stop.CancelAsync();
        Assert.True(busy, "a second prompt was tokenized while the only slot was taken");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

        async Task<bool> IsBusyAsync()
        {
            try
            {
                await encoder.EncodeAsync(model, Completion("hi"), CancellationToken.None);
                return false;
            }
            catch (ApiErrorException ex)
            {
                Assert.Equal(503, ex.Error.Status);
                Assert.Equal("tokenizer_busy", ex.Error.Error.Code);
                return true;
            }
        }
    }

    [Fact]
    public void The_token_bound_admission_uses_is_never_below_the_real_count()
    {
        var tokenizer = TextTokenizer.Load(Folder);
        var template = ChatTemplate.ForModel(Folder);
        string[] contents = ["", "a", "hi there", "温度正常 ✅ 🦀", new string(' ', 500), "<｜User｜>x<｜Assistant｜>", "\n\n\n", "Assistant: User: "];
        foreach (var content in contents)
        {
            var chat = new ValidatedGeneration
            {
                Kind = GenerationKind.Chat,
                Model = Model,
                Messages = [new ChatMessage("system", content), new ChatMessage("user", content), new ChatMessage("assistant", content), new ChatMessage("user", content)],
                Sampling = new(),
            };
            Assert.True(PromptSize.Of(chat).TokenBound >= template.Encode(chat.Messages, true, tokenizer).Length, content);
            Assert.True(PromptSize.Of(Completion(content)).TokenBound >= 1 + tokenizer.Encode(content, AddedTokenHandling.Recognize).Length, content);
        }
    }

    private static ValidatedGeneration Completion(string prompt) => new()
    {
        Kind = GenerationKind.Completion,
        Model = Model,
        Prompt = prompt,
        Sampling = new(),
    };
}
