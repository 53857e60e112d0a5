using System.Diagnostics;
using System.Text;
using Maas.Generation.Models;
using Maas.Generation.Responses;
using Maas.Grains.Abstractions.Models;
using Maas.Infrastructure.Metering;

namespace Maas.Generation.Pipeline;

/// <summary>
/// Follows one generation as its chunks arrive from the replica: token counts, timings, the finish, and each
/// token's logprob entry (token text from the model's tokenizer) when the request asked for logprobs.
/// </summary>
internal sealed class GenerationProgress(ServedModel model, bool wantsLogprobs, int promptTokens, long startTimestamp)
{
    private long _lastTokenTimestamp;

    public GenerationFinish? Finish { get; private set; }

    /// <summary>Set when the replica refused the sequence before running it (too large for its cache, queue full or timed out).</summary>
    public bool Refused { get; set; }

    /// <summary>True once the replica sent anything: the engine took the prompt (prefill ran).</summary>
    public bool Started { get; private set; }

    public int PromptTokens { get; private set; } = promptTokens;

    public int CachedPromptTokens { get; private set; }

    public int CompletionTokens { get; private set; }

    public TimeSpan? TimeToFirstToken { get; private set; }

    /// <summary>The checkpoint digest the worker reported with its first chunk (null until a chunk carried one).</summary>
    public string? WeightsDigest { get; private set; }

    /// <summary>Gap since the previous token, when the last chunk carried a token that was not the first.</summary>
    public TimeSpan? LastInterTokenGap { get; private set; }

    /// <summary>Records a chunk and turns it into the update the pipeline yields.</summary>
    public GenerationUpdate Observe(TokenChunk chunk)
    {
        var now = Stopwatch.GetTimestamp();
        LastInterTokenGap = null;
        Started = true;
        WeightsDigest ??= chunk.WeightsDigest;
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
            if (wantsLogprobs && chunk.Logprob is { } lp)
            {
                logprob = Logprob(chunk.TokenId, lp, chunk.TopLogprobs ?? []);
            }
        }

        if (chunk.Finish is not { } finish)
        {
            return new GenerationUpdate(chunk.Text, logprob, null, null);
        }

        Finish = finish;
        PromptTokens = chunk.PromptTokens > 0 ? chunk.PromptTokens : PromptTokens;
        CachedPromptTokens = chunk.CachedPromptTokens;
        CompletionTokens = Math.Max(CompletionTokens, chunk.CompletionTokens);
        return new GenerationUpdate(chunk.Text, logprob, FinishReason, Usage);
    }

    /// <summary>OpenAI's finish_reason: "length" when max_tokens or the context ran out, else "stop".</summary>
    public string FinishReason => Finish switch
    {
        GenerationFinish.Length or GenerationFinish.ContextFull => "length",
        _ => "stop",
    };

    /// <summary>The finish as metered (finer than OpenAI's: context_full and cancelled are their own reasons).</summary>
    public UsageFinishReason UsageFinishReason => Finish switch
    {
        GenerationFinish.Length => UsageFinishReason.Length,
        GenerationFinish.ContextFull => UsageFinishReason.ContextFull,
        GenerationFinish.Cancelled => UsageFinishReason.Cancelled,
        _ => UsageFinishReason.Stop,
    };

    public CompletionUsage Usage => new(PromptTokens, CompletionTokens, PromptTokens + CompletionTokens, new PromptTokensDetails(CachedPromptTokens));

    private ChatTokenLogprob Logprob(int tokenId, float logprob, IReadOnlyList<TokenAlternative> alternatives)
    {
        var token = model.Tokenizer.Decode([tokenId]);
        var top = new ChatTopLogprob[alternatives.Count];
        for (var i = 0; i < top.Length; i++)
        {
            top[i] = new ChatTopLogprob(alternatives[i].Text, alternatives[i].Logprob, Bytes(alternatives[i].Text));
        }

        return new ChatTokenLogprob(token, logprob, Bytes(token), top);
    }

    private static int[] Bytes(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var result = new int[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            result[i] = bytes[i];
        }

        return result;
    }
}
