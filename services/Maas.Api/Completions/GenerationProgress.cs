using System.Diagnostics;
using System.Text;
using Maas.Api.Completions.Wire;
using Maas.Api.Models;
using Maas.Grains.Abstractions.Models;

namespace Maas.Api.Completions;

/// <summary>
/// Accumulates one generation as its chunks arrive: text, logprobs in both OpenAI shapes, timings and
/// the final usage counts. Streaming and non-streaming responses are both built from it.
/// </summary>
public sealed class GenerationProgress(ServedModel model, ValidatedGeneration request, int promptTokens, long startTimestamp)
{
    private readonly StringBuilder _text = new();
    private readonly List<ChatTokenLogprob> _chatLogprobs = [];
    private readonly List<string> _tokens = [];
    private readonly List<float> _tokenLogprobs = [];
    private readonly List<IReadOnlyDictionary<string, float>> _topLogprobs = [];
    private readonly List<int> _textOffsets = [];
    private long _lastTokenTimestamp;

    public string Text => _text.ToString();

    public GenerationFinish? Finish { get; private set; }

    public int PromptTokens { get; private set; } = promptTokens;

    public int CachedPromptTokens { get; private set; }

    public int CompletionTokens { get; private set; }

    public TimeSpan? TimeToFirstToken { get; private set; }

    /// <summary>Gap since the previous token, when this chunk carried a token that was not the first.</summary>
    public TimeSpan? LastInterTokenGap { get; private set; }

    public bool WantsLogprobs => request.Sampling.Logprobs;

    /// <summary>Records a chunk; returns the chat logprob entry it produced (if logprobs were asked for).</summary>
    public ChatTokenLogprob? Observe(TokenChunk chunk)
    {
        var now = Stopwatch.GetTimestamp();
        LastInterTokenGap = null;
        ChatTokenLogprob? logprob = null;
        if (chunk.TokenId >= 0 && chunk.Finish is null)
        {
            if (TimeToFirstToken is null)
            {
                TimeToFirstToken = Stopwatch.GetElapsedTime(startTimestamp, now);
            }
            else
            {
                LastInterTokenGap = Stopwatch.GetElapsedTime(_lastTokenTimestamp, now);
            }

            _lastTokenTimestamp = now;
            CompletionTokens++;
            if (WantsLogprobs && chunk.Logprob is { } lp)
            {
                logprob = AddLogprob(chunk.TokenId, lp, chunk.TopLogprobs ?? []);
            }
        }

        _text.Append(chunk.Text);
        if (chunk.Finish is { } finish)
        {
            Finish = finish;
            PromptTokens = chunk.PromptTokens > 0 ? chunk.PromptTokens : PromptTokens;
            CachedPromptTokens = chunk.CachedPromptTokens;
            CompletionTokens = Math.Max(CompletionTokens, chunk.CompletionTokens);
        }

        return logprob;
    }

    public string FinishReason => Finish switch
    {
        GenerationFinish.Length or GenerationFinish.ContextFull => "length",
        _ => "stop",
    };

    public CompletionUsage Usage => new(PromptTokens, CompletionTokens, PromptTokens + CompletionTokens, new PromptTokensDetails(CachedPromptTokens));

    public ChatLogprobs? ChatLogprobs => WantsLogprobs ? new ChatLogprobs(_chatLogprobs) : null;

    public TextLogprobs? TextLogprobs => WantsLogprobs ? new TextLogprobs(_tokens, _tokenLogprobs, _topLogprobs, _textOffsets) : null;

    /// <summary>Legacy-completions logprobs of a single entry, for a streamed chunk.</summary>
    public TextLogprobs? LastTextLogprobs => WantsLogprobs && _tokens.Count > 0
        ? new TextLogprobs([_tokens[^1]], [_tokenLogprobs[^1]], [_topLogprobs[^1]], [_textOffsets[^1]])
        : null;

    private ChatTokenLogprob AddLogprob(int tokenId, float logprob, IReadOnlyList<TokenAlternative> alternatives)
    {
        var token = model.Tokenizer.Decode([tokenId]);
        var top = alternatives.Select(a => new ChatTopLogprob(a.Text, a.Logprob, Bytes(a.Text))).ToArray();
        var entry = new ChatTokenLogprob(token, logprob, Bytes(token), top);
        _chatLogprobs.Add(entry);
        _textOffsets.Add(_text.Length);
        _tokens.Add(token);
        _tokenLogprobs.Add(logprob);
        var dictionary = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var a in alternatives)
        {
            dictionary.TryAdd(a.Text, a.Logprob);
        }

        _topLogprobs.Add(dictionary);
        return entry;
    }

    private static int[] Bytes(string text) => [.. Encoding.UTF8.GetBytes(text).Select(b => (int)b)];
}
