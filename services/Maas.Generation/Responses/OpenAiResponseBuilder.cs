using System.Text;
using Maas.Generation.Pipeline;
using Maas.Generation.Requests;

namespace Maas.Generation.Responses;

/// <summary>
/// Turns one request's <see cref="GenerationUpdate"/>s into OpenAI response objects: the streamed chunks as they come,
/// and the whole chat.completion or text_completion at the end. Every entry point (HTTP JSON and SSE, MQTT, batch
/// output lines) writes what this builds, so they answer alike.
/// </summary>
public sealed class OpenAiResponseBuilder(GenerationKind kind, string id, long created, string model, bool logprobs)
{
    private readonly StringBuilder _text = new();
    private readonly List<ChatTokenLogprob> _chatLogprobs = [];
    private readonly List<string> _tokens = [];
    private readonly List<float> _tokenLogprobs = [];
    private readonly List<IReadOnlyDictionary<string, float>> _topLogprobs = [];
    private readonly List<int> _textOffsets = [];
    private readonly List<(string Id, string Name, StringBuilder Arguments)> _toolCalls = [];
    private string _finishReason = "stop";
    private CompletionUsage _usage = new(0, 0, 0, new PromptTokensDetails(0));

    /// <summary>"chatcmpl-{request id}" or "cmpl-{request id}".</summary>
    public string Id { get; } = (kind == GenerationKind.Chat ? "chatcmpl-" : "cmpl-") + id;

    /// <summary>The first event of a chat stream (the assistant role with empty content); null for completions.</summary>
    public object? StreamStart() => kind == GenerationKind.Chat ? ChatChunk(new ChatDelta("assistant", ""), null, null) : null;

    /// <summary>
    /// Records an update. Returns the chunk to stream for its text or logprob (null when it has neither) and the
    /// chunk that carries the finish reason (null until the last update).
    /// </summary>
    public (object? Content, object? Finish) Add(GenerationUpdate update)
    {
        if (update.Logprob is { } logprob)
        {
            _chatLogprobs.Add(logprob);
            _textOffsets.Add(_text.Length);
            _tokens.Add(logprob.Token);
            _tokenLogprobs.Add(logprob.Logprob);
            var top = new Dictionary<string, float>(StringComparer.Ordinal);
            foreach (var alternative in logprob.TopLogprobs)
            {
                top.TryAdd(alternative.Token, alternative.Logprob);
            }

            _topLogprobs.Add(top);
        }

        _text.Append(update.Text);
        if (update.ToolCall is { } call)
        {
            if (call.Id is not null)
            {
                _toolCalls.Add((call.Id, call.Function.Name ?? "", new StringBuilder()));
            }

            _toolCalls[call.Index].Arguments.Append(call.Function.Arguments);
        }

        object? content = null;
        if (update.ToolCall is not null && kind == GenerationKind.Chat)
        {
            content = ChatChunk(new ChatDelta(null, null, [update.ToolCall]), update.Logprob is null ? null : new ChatLogprobs([update.Logprob]), null);
        }
        else if (update.Text.Length > 0 || update.Logprob is not null)
        {
            content = kind == GenerationKind.Chat
                ? ChatChunk(new ChatDelta(null, update.Text), update.Logprob is null ? null : new ChatLogprobs([update.Logprob]), null)
                : TextChunk(update.Text, update.Logprob is null ? null : LastTextLogprobs(), null);
        }

        object? finish = null;
        if (update.FinishReason is { } reason)
        {
            _finishReason = reason;
            finish = kind == GenerationKind.Chat ? ChatChunk(new ChatDelta(null, null), null, reason) : TextChunk("", null, reason);
        }

        if (update.Usage is { } usage)
        {
            _usage = usage;
        }

        return (content, finish);
    }

    /// <summary>The streamed usage chunk (stream_options.include_usage): no choices, only usage.</summary>
    public object UsageChunk() => kind == GenerationKind.Chat
        ? new ChatCompletionChunk(Id, created, model, [], _usage, null)
        : new TextCompletion(Id, created, model, [], _usage, null);

    /// <summary>The whole response of a non-streaming request.</summary>
    public object Completion() => kind == GenerationKind.Chat
        ? new ChatCompletion(Id, created, model,
            [new ChatChoice(0, Message(), logprobs ? new ChatLogprobs(_chatLogprobs) : null, _finishReason)], _usage, null)
        : new TextCompletion(Id, created, model,
            [new TextChoice(_text.ToString(), 0, logprobs ? new TextLogprobs(_tokens, _tokenLogprobs, _topLogprobs, _textOffsets) : null, _finishReason)], _usage, null);

    /// <summary>The assistant message: tool calls when the model made any (content null unless it also wrote text).</summary>
    private ChatResponseMessage Message() => _toolCalls.Count == 0
        ? new ChatResponseMessage("assistant", _text.ToString())
        : new ChatResponseMessage("assistant", _text.Length == 0 ? null : _text.ToString(),
            [.. _toolCalls.Select(c => new ChatToolCall(c.Id, new ChatFunctionCall(c.Name, c.Arguments.ToString())))]);

    private ChatCompletionChunk ChatChunk(ChatDelta delta, ChatLogprobs? chunkLogprobs, string? finishReason) =>
        new(Id, created, model, [new ChatChunkChoice(0, delta, chunkLogprobs, finishReason)], null, null);

    private TextCompletion TextChunk(string text, TextLogprobs? chunkLogprobs, string? finishReason) =>
        new(Id, created, model, [new TextChoice(text, 0, chunkLogprobs, finishReason)], null, null);

    /// <summary>Legacy-completions logprobs of the last token only, for a streamed chunk.</summary>
    private TextLogprobs LastTextLogprobs() =>
        new([_tokens[^1]], [_tokenLogprobs[^1]], [_topLogprobs[^1]], [_textOffsets[^1]]);
}
