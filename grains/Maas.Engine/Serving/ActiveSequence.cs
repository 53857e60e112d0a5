using System.Threading.Channels;
using Maas.Engine.KvCache;
using Maas.Engine.Sampling;
using Maas.Grammar;
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

    public ActiveSequence(GenerationRequest request, int[] promptTokens, TextTokenizer tokenizer, int vocabSize, GrammarMatcher? grammar = null)
    {
        Grammar = grammar;
        Request = request;
        PromptTokens = promptTokens;
        PrefillTokens = promptTokens;
        // Ids past the tokenizer's vocabulary are padding rows of the embedding: never text, never sampled.
        Sampler = new Sampler(request.Sampling, vocabSize, sampleableTokens: Math.Min(vocabSize, tokenizer.VocabSize));
        Detokenizer = new StreamingDetokenizer(tokenizer, request.SkipSpecialTokens);
        StopMatcher = new StopSequenceMatcher(request.Stop);
        Events = Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    }

    public GenerationRequest Request { get; }

    public int[] PromptTokens { get; }

    public Sampler Sampler { get; }

    /// <summary>The sequence's position in its grammar, when its output is constrained.</summary>
    public GrammarMatcher? Grammar { get; }

    public StreamingDetokenizer Detokenizer { get; }

    public StopSequenceMatcher StopMatcher { get; }

    public Channel<GenerationEvent> Events { get; }

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp of its arrival at the scheduler.</summary>
    public long EnqueuedAt { get; set; }

    /// <summary>Stopwatch timestamp past which it is refused if it still has not started (<see cref="GenerationRefusal.QueueTimeout"/>).</summary>
    public long QueueDeadline { get; set; }

    /// <summary>Whether it has been in the running batch (a preempted sequence waits again, but no deadline applies to it).</summary>
    public bool Started { get; set; }

    /// <summary>Its tenant's queue in its priority class, set when it first waits.</summary>
    public TenantQueue? Queue { get; set; }

    /// <summary>Its place in <see cref="TenantQueue.Waiting"/> while it waits.</summary>
    public LinkedListNode<ActiveSequence>? WaitingNode { get; set; }

    public KvSequence? Kv { get; set; }

    /// <summary>
    /// What prefill computes: the prompt, or after a preemption the prompt and every token produced so far but the
    /// last (which is the next decode input), so the sequence resumes exactly where it was.
    /// </summary>
    public int[] PrefillTokens { get; private set; }

    /// <summary>Set while a preempted sequence recomputes its KV; its prefill's last logits are not sampled again.</summary>
    public bool Resuming { get; set; }

    /// <summary>Every sampled token, in order (kept for recomputing after a preemption).</summary>
    public List<int> Generated { get; } = [];

    /// <summary>Tokens of <see cref="PrefillTokens"/> whose KV is in the cache.</summary>
    public int PromptDone { get; set; }

    /// <summary>The last sampled token, fed back in the next decode step (an array so the batch can take a span of it).</summary>
    public int[] DecodeInput { get; } = new int[1];

    public bool Finished { get; set; }

    public int CompletionTokens { get; set; }

    public bool PromptComplete => PromptDone == PrefillTokens.Length;

    public GenerationPriority Priority => Request.Priority;

    /// <summary>
    /// Called by the scheduler after it took the sequence's KV pages away: the next admission prefills the prompt and
    /// the tokens generated so far again, then decodes on from the last sampled token.
    /// </summary>
    public void ResetForRecompute()
    {
        Kv = null;
        PromptDone = 0;
        if (Generated.Count == 0)
        {
            PrefillTokens = PromptTokens;
            Resuming = false;
            return;
        }

        PrefillTokens = [.. PromptTokens, .. Generated.Take(Generated.Count - 1)];
        Resuming = true;
    }

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
