using System.Text.Json;
using Maas.Generation.Pipeline;
using Maas.Generation.Requests;
using Maas.Generation.Responses;
using Maas.Infrastructure.OpenAi;

namespace Maas.Generation.Tests;

/// <summary>
/// The OpenAI shapes every entry point writes, as JSON with the wire options (snake_case, nulls left out where
/// OpenAI leaves them out): whole chat and text completions, stream chunks, the usage chunk, logprobs.
/// </summary>
public sealed class OpenAiResponseBuilderTests
{
    private const long Created = 1_765_000_000;
    private static readonly CompletionUsage Usage = new(3, 2, 5, new PromptTokensDetails(1));

    [Fact]
    public void Chat_completion_has_the_assistant_message_finish_reason_and_usage()
    {
        var builder = new OpenAiResponseBuilder(GenerationKind.Chat, "r1", Created, "m", logprobs: false);
        builder.Add(Text("Hel"));
        builder.Add(Text("lo"));
        builder.Add(new GenerationUpdate("", null, "length", Usage));

        var json = Json(builder.Completion());

        Assert.Equal("chatcmpl-r1", json.GetProperty("id").GetString());
        Assert.Equal("chat.completion", json.GetProperty("object").GetString());
        Assert.Equal(Created, json.GetProperty("created").GetInt64());
        Assert.Equal("m", json.GetProperty("model").GetString());
        Assert.False(json.TryGetProperty("system_fingerprint", out _));
        var choice = Assert.Single(json.GetProperty("choices").EnumerateArray());
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal("Hello", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        AssertUsage(json.GetProperty("usage"));
    }

    [Fact]
    public void Text_completion_has_the_text_its_own_id_and_object()
    {
        var builder = new OpenAiResponseBuilder(GenerationKind.Completion, "r2", Created, "m", logprobs: false);
        builder.Add(Text("Once"));
        builder.Add(new GenerationUpdate(" upon", null, "stop", Usage));

        var json = Json(builder.Completion());

        Assert.Equal("cmpl-r2", json.GetProperty("id").GetString());
        Assert.Equal("text_completion", json.GetProperty("object").GetString());
        var choice = Assert.Single(json.GetProperty("choices").EnumerateArray());
        Assert.Equal("Once upon", choice.GetProperty("text").GetString());
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        AssertUsage(json.GetProperty("usage"));
    }

    [Fact]
    public void Chat_stream_starts_with_the_role_then_content_deltas_then_a_finish_chunk_with_an_empty_delta()
    {
        var builder = new OpenAiResponseBuilder(GenerationKind.Chat, "r3", Created, "m", logprobs: false);

        var start = Json(builder.StreamStart()!);
        var (hel, noFinish) = builder.Add(Text("Hel"));
        var (last, finish) = builder.Add(new GenerationUpdate("lo", null, "stop", Usage));

        Assert.Null(noFinish);
        Assert.All(new[] { start, Json(hel!), Json(last!), Json(finish!) }, chunk =>
        {
            Assert.Equal("chat.completion.chunk", chunk.GetProperty("object").GetString());
            Assert.Equal("chatcmpl-r3", chunk.GetProperty("id").GetString());
            Assert.False(chunk.TryGetProperty("usage", out _));
        });
        var startChoice = Single(start);
        Assert.Equal("assistant", startChoice.GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("", startChoice.GetProperty("delta").GetProperty("content").GetString());
        Assert.Equal(JsonValueKind.Null, startChoice.GetProperty("finish_reason").ValueKind);
        var helChoice = Single(Json(hel!));
        Assert.False(helChoice.GetProperty("delta").TryGetProperty("role", out _));
        Assert.Equal("Hel", helChoice.GetProperty("delta").GetProperty("content").GetString());
        Assert.Equal(JsonValueKind.Null, helChoice.GetProperty("finish_reason").ValueKind);
        Assert.Equal("lo", Single(Json(last!)).GetProperty("delta").GetProperty("content").GetString());
        var finishChoice = Single(Json(finish!));
        Assert.Empty(finishChoice.GetProperty("delta").EnumerateObject());
        Assert.Equal("stop", finishChoice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public void Completion_stream_has_no_start_event_and_sends_text_chunks_then_a_finish_chunk()
    {
        var builder = new OpenAiResponseBuilder(GenerationKind.Completion, "r4", Created, "m", logprobs: false);

        var start = builder.StreamStart();
        var (content, _) = builder.Add(Text("Once"));
        var (_, finish) = builder.Add(new GenerationUpdate("", null, "length", Usage));

        Assert.Null(start);
        var chunk = Json(content!);
        Assert.Equal("text_completion", chunk.GetProperty("object").GetString());
        Assert.Equal("Once", Single(chunk).GetProperty("text").GetString());
        Assert.Equal(JsonValueKind.Null, Single(chunk).GetProperty("finish_reason").ValueKind);
        var last = Single(Json(finish!));
        Assert.Equal("", last.GetProperty("text").GetString());
        Assert.Equal("length", last.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public void Update_with_neither_text_nor_logprob_streams_nothing()
    {
        var builder = new OpenAiResponseBuilder(GenerationKind.Chat, "r5", Created, "m", logprobs: false);

        var (content, finish) = builder.Add(Text(""));

        Assert.Null(content);
        Assert.Null(finish);
    }

    [Theory]
    [InlineData(GenerationKind.Chat, "chat.completion.chunk")]
    [InlineData(GenerationKind.Completion, "text_completion")]
    public void Usage_chunk_has_no_choices_and_the_final_usage(GenerationKind kind, string expectedObject)
    {
        var builder = new OpenAiResponseBuilder(kind, "r6", Created, "m", logprobs: false);
        builder.Add(Text("a"));
        builder.Add(new GenerationUpdate("", null, "length", Usage));

        var json = Json(builder.UsageChunk());

        Assert.Equal(expectedObject, json.GetProperty("object").GetString());
        Assert.Empty(json.GetProperty("choices").EnumerateArray());
        AssertUsage(json.GetProperty("usage"));
    }

    [Fact]
    public void Chat_logprobs_list_every_token_with_its_bytes_and_top_alternatives()
    {
        var builder = new OpenAiResponseBuilder(GenerationKind.Chat, "r7", Created, "m", logprobs: true);
        var (streamed, _) = builder.Add(new GenerationUpdate("Hel", Logprob("Hel", -0.5f, ("He", -1.5f)), null, null));
        builder.Add(new GenerationUpdate("lo", Logprob("lo", -0.25f), "length", Usage));

        var content = Single(Json(builder.Completion())).GetProperty("logprobs").GetProperty("content");

        Assert.Equal(["Hel", "lo"], content.EnumerateArray().Select(t => t.GetProperty("token").GetString()));
        var first = content[0];
        Assert.Equal(-0.5f, first.GetProperty("logprob").GetSingle());
        Assert.Equal([72, 101, 108], first.GetProperty("bytes").EnumerateArray().Select(b => b.GetInt32()));
        var top = first.GetProperty("top_logprobs");
        Assert.Equal(["Hel", "He"], top.EnumerateArray().Select(t => t.GetProperty("token").GetString()));
        Assert.Equal(-1.5f, top[1].GetProperty("logprob").GetSingle());
        Assert.Equal([72, 101], top[1].GetProperty("bytes").EnumerateArray().Select(b => b.GetInt32()));
        var streamedToken = Assert.Single(Single(Json(streamed!)).GetProperty("logprobs").GetProperty("content").EnumerateArray());
        Assert.Equal("Hel", streamedToken.GetProperty("token").GetString());
    }

    [Fact]
    public void Completion_logprobs_carry_text_offsets_and_a_held_back_token_points_where_its_released_text_starts()
    {
        var builder = new OpenAiResponseBuilder(GenerationKind.Completion, "r8", Created, "m", logprobs: true);
        builder.Add(new GenerationUpdate("Hel", Logprob("Hel", -0.5f, ("He", -1.5f)), null, null));
        builder.Add(new GenerationUpdate("lo", Logprob("lo", -0.25f), null, null));

        // The engine holds this token's text back (part of a character or a possible stop string); it comes with the next.
        var (heldBack, _) = builder.Add(new GenerationUpdate("", Logprob("\u00e9", -2f), null, null));
        var (last, _) = builder.Add(new GenerationUpdate("\u00e9!", Logprob("!", -0.1f), "stop", Usage));

        var choice = Single(Json(builder.Completion()));
        var logprobs = choice.GetProperty("logprobs");
        Assert.Equal("Hello\u00e9!", choice.GetProperty("text").GetString());
        Assert.Equal(["Hel", "lo", "\u00e9", "!"], logprobs.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal([-0.5f, -0.25f, -2f, -0.1f], logprobs.GetProperty("token_logprobs").EnumerateArray().Select(t => t.GetSingle()));
        // The held-back token and the one whose update releases its text both point where that text starts.
        Assert.Equal([0, 3, 5, 5], logprobs.GetProperty("text_offset").EnumerateArray().Select(t => t.GetInt32()));
        var top = logprobs.GetProperty("top_logprobs")[0];
        Assert.Equal(-0.5f, top.GetProperty("Hel").GetSingle());
        Assert.Equal(-1.5f, top.GetProperty("He").GetSingle());

        // Streamed chunks carry their own token only, with its offset in the whole text.
        var heldBackChunk = Single(Json(heldBack!));
        Assert.Equal("", heldBackChunk.GetProperty("text").GetString());
        Assert.Equal([5], heldBackChunk.GetProperty("logprobs").GetProperty("text_offset").EnumerateArray().Select(t => t.GetInt32()));
        Assert.Equal(["!"], Single(Json(last!)).GetProperty("logprobs").GetProperty("tokens").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal([5], Single(Json(last!)).GetProperty("logprobs").GetProperty("text_offset").EnumerateArray().Select(t => t.GetInt32()));
    }

    [Fact]
    public void Logprobs_are_null_in_the_completion_when_not_requested()
    {
        var builder = new OpenAiResponseBuilder(GenerationKind.Completion, "r9", Created, "m", logprobs: false);
        builder.Add(new GenerationUpdate("a", Logprob("a", -1f), "stop", Usage));

        Assert.Equal(JsonValueKind.Null, Single(Json(builder.Completion())).GetProperty("logprobs").ValueKind);
    }

    private static GenerationUpdate Text(string text) => new(text, null, null, null);

    private static ChatTokenLogprob Logprob(string token, float logprob, params (string Token, float Logprob)[] alternatives) =>
        new(token, logprob, Bytes(token), [new ChatTopLogprob(token, logprob, Bytes(token)), .. alternatives.Select(a => new ChatTopLogprob(a.Token, a.Logprob, Bytes(a.Token)))]);

    private static int[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();

    private static JsonElement Json(object response)
    {
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(response, response.GetType(), OpenAiJson.Options));
        return document.RootElement.Clone();
    }

    private static JsonElement Single(JsonElement response) => Assert.Single(response.GetProperty("choices").EnumerateArray());

    private static void AssertUsage(JsonElement usage)
    {
        Assert.Equal(3, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(2, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(5, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(1, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
    }
}
