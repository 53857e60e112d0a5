using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;

namespace Maas.EndToEnd.Tests;

/// <summary>The OpenAI .NET client talks to the gateway; the gateway, api silo and worker silo are real processes.</summary>
[Collection(PlatformCollection.Name)]
public sealed class GenerationThroughGatewayTests(PlatformFixture platform)
{
    private ChatClient Chat => OpenAiClients.For(platform, platform.Main).GetChatClient(PlatformFixture.Model);

    private static readonly ChatCompletionOptions Greedy8 = new() { MaxOutputTokenCount = 8, Temperature = 0 };

    [Fact]
    public async Task List_models_shows_the_served_model()
    {
        var models = await OpenAiClients.For(platform, platform.Main).GetOpenAIModelClient().GetModelsAsync();
        Assert.Contains(models.Value, m => m.Id == PlatformFixture.Model);
    }

    [Fact]
    public async Task Chat_completion_returns_tokens_and_usage()
    {
        ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage("Status of pump 7?")], Greedy8);
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(8, completion.Usage.OutputTokenCount);
        Assert.True(completion.Usage.InputTokenCount > 3);
        Assert.Equal(completion.Usage.InputTokenCount + 8, completion.Usage.TotalTokenCount);
        Assert.Equal(PlatformFixture.Model, completion.Model);
    }

    [Fact]
    public async Task Streaming_gives_the_same_text_as_non_streaming_and_ends_with_usage()
    {
        var messages = new List<ChatMessage> { new UserChatMessage("Report the line speed.") };
        ChatCompletion whole = await Chat.CompleteChatAsync(messages, Greedy8);

        var streamed = new StringBuilder();
        var updates = 0;
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in Chat.CompleteChatStreamingAsync(messages, Greedy8))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }

            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.True(updates >= 2, $"expected several chunks, got {updates}");
        Assert.Equal(whole.Content[0].Text, streamed.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.NotNull(usage);
        Assert.Equal(8, usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Legacy_completions_endpoint_works()
    {
        using var http = OpenAiClients.Http(platform, platform.Main);
        using var response = await http.PostAsJsonAsync("/v1/completions", new { model = PlatformFixture.Model, prompt = "Pump 7 vibration", max_tokens = 5, temperature = 0 });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("text_completion", json.RootElement.GetProperty("object").GetString());
        Assert.Equal(5, json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", json.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.True(response.Headers.Contains("x-request-id"));
    }

    [Fact]
    public async Task Eight_concurrent_requests_share_one_batch()
    {
        // Steps that ran 8 or more sequences at once: the histogram's count minus its le="7" bucket.
        const string count = "maas_worker_step_sequences_count{model=\"e2e-model\"}";
        const string atMostSeven = "maas_worker_step_sequences_bucket{model=\"e2e-model\",le=\"7\"}";
        var before = await PrometheusText.ReadAsync(platform.Worker.ManagementAddress, count) - await PrometheusText.ReadAsync(platform.Worker.ManagementAddress, atMostSeven);

        // Long enough that all 8 are still running when the last one arrives, even on a loaded machine.
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 64, Temperature = 0 };
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Chat.CompleteChatAsync([new UserChatMessage($"Request {i} from line {i}")], options)));
        Assert.All(results, r => Assert.Equal(64, r.Value.Usage.OutputTokenCount));

        var after = await PrometheusText.ReadAsync(platform.Worker.ManagementAddress, count) - await PrometheusText.ReadAsync(platform.Worker.ManagementAddress, atMostSeven);
        Assert.True(after > before, "no engine step ran the 8 requests together");
    }

    [Fact]
    public async Task Client_that_disconnects_mid_stream_frees_its_batch_slot()
    {
        const string active = "maas_worker_batch_sequences{model=\"e2e-model\"}";
        using var http = OpenAiClients.Http(platform, platform.Main);
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = PlatformFixture.Model, stream = true, max_tokens = 3000, messages = new[] { new { role = "user", content = "Write a very long shift report." } } }),
        })
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.True(response.IsSuccessStatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            string? line;
            while ((line = await reader.ReadLineAsync()) is not null && !line.StartsWith("data: {", StringComparison.Ordinal))
            {
            }

            Assert.NotNull(line);
            Assert.Equal(1, await PrometheusText.ReadAsync(platform.Worker.ManagementAddress, active));
        }

        // The response is disposed: the connection is gone, and the sequence must leave the batch.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (await PrometheusText.ReadAsync(platform.Worker.ManagementAddress, active) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the disconnected client's sequence is still in the batch");
            await Task.Delay(100);
        }
    }
}
