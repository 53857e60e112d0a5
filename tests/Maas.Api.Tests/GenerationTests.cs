using System.Net;
using System.Text.Json;
using Maas.Api.Tests.Support;
using Maas.Grains.Abstractions.Models;
using Maas.Grains.Abstractions.Tenancy;
using Maas.Testing;

namespace Maas.Api.Tests;

/// <summary>
/// Generation over HTTP through the api silo and a real worker process running the engine on a tiny random
/// checkpoint the fixture writes (<see cref="GenerationFixture"/>).
/// </summary>
public sealed class GenerationTests(GenerationFixture fixture) : IClassFixture<GenerationFixture>
{
    private const string Chat = "/v1/chat/completions";
    private const string Completions = "/v1/completions";

    [Fact]
    public async Task Chat_completion_returns_an_assistant_message_with_usage()
    {
        const string body = """{ "model": "test-model", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "Hello"}]}], "max_tokens": 8, "temperature": 0 }""";
        using var response = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Post(Chat, SeededTenants.All, body, "req-chat-1"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        Assert.Equal("chat.completion", root.GetProperty("object").GetString());
        Assert.Equal("chatcmpl-req-chat-1", root.GetProperty("id").GetString());
        Assert.Equal(GenerationFixture.Model, root.GetProperty("model").GetString());
        var choice = Assert.Single(root.GetProperty("choices").EnumerateArray());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(JsonValueKind.String, choice.GetProperty("message").GetProperty("content").ValueKind);
        Assert.Contains(choice.GetProperty("finish_reason").GetString(), new[] { "stop", "length" });
        var usage = root.GetProperty("usage");
        var prompt = usage.GetProperty("prompt_tokens").GetInt32();
        var completion = usage.GetProperty("completion_tokens").GetInt32();
        Assert.True(prompt > 0);
        Assert.InRange(completion, 1, 8);
        Assert.Equal(prompt + completion, usage.GetProperty("total_tokens").GetInt32());
        Assert.InRange(usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32(), 0, prompt);
    }

    [Fact]
    public async Task Chat_stream_sends_role_then_content_then_finish_then_usage_then_done()
    {
        const string body = """{ "model": "test-model", "messages": [{"role": "user", "content": "Count to five."}], "max_tokens": 6, "ignore_eos": true, "stream": true, "stream_options": {"include_usage": true} }""";
        using var response = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Post(Chat, SeededTenants.All, body), HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = new List<string>();
        await foreach (var data in ServerSentEvents.ReadDataAsync(response))
        {
            events.Add(data);
        }

        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var usageChunk = chunks[^1];
        Assert.Empty(usageChunk.GetProperty("choices").EnumerateArray());
        Assert.Equal(6, usageChunk.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        var finishes = chunks[..^1].Select(c => c.GetProperty("choices")[0].GetProperty("finish_reason")).Where(f => f.ValueKind == JsonValueKind.String).ToList();
        Assert.Equal("length", Assert.Single(finishes).GetString());
        Assert.Equal(JsonValueKind.String, chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").ValueKind);
    }

    [Fact]
    public async Task Completion_with_ignore_eos_generates_exactly_max_tokens()
    {
        const string body = """{ "model": "test-model", "prompt": "Once upon a time", "max_tokens": 5, "ignore_eos": true, "seed": 7 }""";
        using var response = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Post(Completions, SeededTenants.All, body, "req-cmpl-1"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var json = JsonDocument.Parse(text);
        Assert.Equal("text_completion", json.RootElement.GetProperty("object").GetString());
        Assert.Equal("cmpl-req-cmpl-1", json.RootElement.GetProperty("id").GetString());
        var choice = Assert.Single(json.RootElement.GetProperty("choices").EnumerateArray());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(5, json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Completion_stream_ends_with_done_and_concatenates_to_the_same_text_as_non_streaming()
    {
        const string body = """{ "model": "test-model", "prompt": "The plant", "max_tokens": 6, "ignore_eos": true, "temperature": 0 }""";
        using var whole = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Post(Completions, SeededTenants.All, body));
        using var wholeJson = JsonDocument.Parse(await whole.Content.ReadAsStringAsync());
        var expected = wholeJson.RootElement.GetProperty("choices")[0].GetProperty("text").GetString();

        var streamingBody = body.Replace("\"temperature\": 0", "\"temperature\": 0, \"stream\": true", StringComparison.Ordinal);
        using var response = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Post(Completions, SeededTenants.All, streamingBody), HttpCompletionOption.ResponseHeadersRead);
        var events = new List<string>();
        await foreach (var data in ServerSentEvents.ReadDataAsync(response))
        {
            events.Add(data);
        }

        Assert.Equal("[DONE]", events[^1]);
        var streamed = string.Concat(events[..^1].Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.Equal(expected, streamed);
    }

    [Fact]
    public async Task Same_seed_gives_the_same_completion()
    {
        const string body = """{ "model": "test-model", "prompt": "Hello", "max_tokens": 8, "ignore_eos": true, "temperature": 1, "seed": 1234 }""";

        var first = await CompletionTextAsync(body);
        var second = await CompletionTextAsync(body);

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Chat_logprobs_come_back_in_the_openai_shape()
    {
        const string body = """{ "model": "test-model", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 3, "ignore_eos": true, "logprobs": true, "top_logprobs": 2 }""";
        using var response = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Post(Chat, SeededTenants.All, body));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        var content = json.RootElement.GetProperty("choices")[0].GetProperty("logprobs").GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(3, content.Count);
        Assert.All(content, token =>
        {
            Assert.True(token.GetProperty("logprob").GetSingle() <= 0);
            Assert.Equal(JsonValueKind.String, token.GetProperty("token").ValueKind);
            Assert.Equal(2, token.GetProperty("top_logprobs").GetArrayLength());
        });
    }

    [Fact]
    public async Task Prompt_longer_than_the_context_is_400_context_length_exceeded()
    {
        var prompt = string.Concat(Enumerable.Repeat("hello world ", 100_000 / 12));
        var body = JsonSerializer.Serialize(new { model = GenerationFixture.Model, prompt, max_tokens = 1 });
        using var response = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Post(Completions, SeededTenants.All, body));

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.BadRequest, "context_length_exceeded", "prompt");
    }

    [Fact]
    public async Task Client_disconnect_cancels_the_generation_and_frees_the_tenant_slot()
    {
        var tenant = fixture.Api.Grains.GetGrain<ITenantGrain>(SeededTenants.Single);
        var replica = fixture.Api.Grains.GetGrain<IModelReplicaGrain>(ReplicaKey.Format(GenerationFixture.Model, 0));
        const string body = """{ "model": "test-model", "prompt": "Tell a very long story.", "ignore_eos": true, "stream": true }""";
        using (var cancel = new CancellationTokenSource())
        {
            using var response = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Post(Completions, SeededTenants.Single, body), HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await using var events = ServerSentEvents.ReadDataAsync(response, cancel.Token).GetAsyncEnumerator(cancel.Token);
            Assert.True(await events.MoveNextAsync());
            await cancel.CancelAsync();
        }

        await WaitUntilAsync(async () => await tenant.GetActiveRequestsAsync() == 0, "the tenant slot was not released");
        await WaitUntilAsync(async () => (await replica.GetStatusAsync()) is { ActiveSequences: 0, QueuedSequences: 0 }, "the engine still runs the sequence");
        using var next = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Post(Completions, SeededTenants.Single, """{ "model": "test-model", "prompt": "Hi", "max_tokens": 1 }"""));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    private async Task<string?> CompletionTextAsync(string body)
    {
        using var response = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Post(Completions, SeededTenants.All, body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var json = JsonDocument.Parse(text);
        return json.RootElement.GetProperty("choices")[0].GetProperty("text").GetString();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string because)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, because);
            await Task.Delay(100);
        }
    }
}
