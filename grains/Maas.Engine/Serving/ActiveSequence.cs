using System.Threading.Channels;
using Maas.Engine.KvCache;
using Maas.Engine.Sampling;
using Maas.Tokenization;

namespace Maas.Engine.Serving;

/// <summary>
/// One request while the scheduler owns it: its KV pages, how far its prompt has been computed, its
/// sampler, detokenizer and stop matcher, and the channel its events go out through. Only the
/// scheduler thread touches it after admission, except <see cref="RequestCancel"/>.
/// </summary>
internal sealed class ActiveSequence
{
    private int _cancelRequested;
    private int _fineTuneReleased;

    public ActiveSequence(GenerationRequest request, int[] promptTokens, TextTokenizer tokenizer, int vocabSize)
    {
        Request = request;
        PromptTokens = promptTokens;
        // Ids past the tokenizer's vocabulary are padding rows of the embedding: never text, never sampled.
        Sampler = new Sampler(request.Sampling, vocabSize, sampleableTokens: Math.Min(vocabSize, tokenizer.VocabSize));
        Detokenizer = new StreamingDetokenizer(tokenizer, request.SkipSpecialTokens);
        StopMatcher = new StopSequenceMatcher(request.Stop);
        Events = Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    }

    public GenerationRequest Request { get; }

    public int[] PromptTokens { get; }

    public Sampler Sampler { get; }

    public StreamingDetokenizer Detokenizer { get; }

    public StopSequenceMatcher StopMatcher { get; }

    public Channel<GenerationEvent> Events { get; }

    public KvSequence? Kv { get; set; }

    /// <summary>Prompt tokens whose KV is in the cache.</summary>
    public int PromptDone { get; set; }

    /// <summary>The last sampled token, fed back in the next decode step (an array so the batch can take a span of it).</summary>
    public int[] DecodeInput { get; } = new int[1];

    public bool Finished { get; set; }

    public int CompletionTokens { get; set; }

    public bool PromptComplete => PromptDone == PromptTokens.Length;

    public bool CancelRequested => Volatile.Read(ref _cancelRequested) != 0;

    public void RequestCancel() => Volatile.Write(ref _cancelRequested, 1);

    /// <summary>Ends the sequence's lease on its fine-tune's experts (once; the scheduler calls it when the sequence ends).</summary>
    public void ReleaseFineTune()
    {
        if (Request.FineTune is { } fineTune && Interlocked.Exchange(ref _fineTuneReleased, 1) == 0)
        {
            fineTune.Release();
        }
    }
}
