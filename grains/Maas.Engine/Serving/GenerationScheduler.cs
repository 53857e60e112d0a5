using System.Collections.Concurrent;
using System.Diagnostics;
using Maas.Engine.KvCache;
using Maas.Engine.Model;
using Maas.Tokenization;

namespace Maas.Engine.Serving;

/// <summary>
/// Continuous batching on one dedicated thread: each step admits waiting sequences while batch slots
/// and KV pages allow, gives every decoding sequence one token and the prefilling ones chunks of
/// their prompts within the step's token budget, runs one forward pass for all of them, samples, and
/// streams the results out. Finished and cancelled sequences leave the batch at once and return their
/// KV pages, so a new request joins at the next step instead of waiting for the batch to drain.
/// </summary>
/// <remarks>
/// <para>Priority classes first: interactive sequences are admitted (and prefilled) before batch ones, and when no slot or
/// KV page is free an interactive sequence preempts the most recently admitted running batch sequence, so it waits at
/// most for the step in progress; the preempted one goes back to the head of its queue and later recomputes its
/// KV from its prompt and the tokens it already produced (its stream just pauses). Batch sequences only ever take
/// what is idle.</para>
/// <para>Tenants inside a class: each class queues per tenant and admits by weighted round-robin (<see cref="FairQueue"/>).
/// When a tenant's sequence finds no slot or pages while another tenant of its class runs more than its weighted share,
/// that tenant's most recent sequence is preempted the same way, so a tenant that filled the batch while it was alone
/// gives room to a newcomer at the next step.</para>
/// <para>Bounds: a request larger than the whole cache is refused on arrival (<see cref="GenerationRefusal.ExceedsKvCache"/>);
/// the waiting queue holds at most <see cref="InferenceEngineOptions.MaxQueuedSequences"/>
/// (<see cref="GenerationRefusal.QueueFull"/>); a request not started by its deadline is refused
/// (<see cref="GenerationRefusal.QueueTimeout"/>); one whose KV does not fit the free pages lets smaller ones pass
/// for <see cref="InferenceEngineOptions.KvBypassWait"/>, after which pages are held for it.</para>
/// </remarks>
internal sealed class GenerationScheduler : IDisposable
{
    private readonly DeepseekModel _model;
    private readonly PagedKvCache _cache;
    private readonly TextTokenizer _tokenizer;
    private readonly ModelDescription _description;
    private readonly int _maxSequences;
    private readonly int _maxStepTokens;
    private readonly int _maxQueued;
    private readonly long _maxQueueWaitTicks;
    private readonly long _kvBypassTicks;
    private readonly int _vocab;

    // Arrivals from any thread; the scheduler thread moves them into the class queues.
    private readonly ConcurrentQueue<ActiveSequence> _arrivals = new();
    private readonly FairQueue _interactive = new();
    private readonly FairQueue _batchQueue = new();
    private readonly List<ActiveSequence> _running;
    private readonly List<ActiveSequence> _stepSequences;
    private readonly ForwardBatch _batch;
    private readonly float[] _logits;
    private readonly bool[] _isEos;
    private readonly AutoResetEvent _wake = new(false);
    private readonly Action<int, int>? _stepObserver;
    private readonly Thread _thread;
    private static readonly GenerationPriority[] Priorities = [GenerationPriority.Interactive, GenerationPriority.Batch];
    private volatile bool _stopping;
    private int _queued;
    private int _active;
    private long _preemptions;

    // Admission's callbacks, made once (the step loop does not allocate), and the time they judge by.
    private readonly Func<ActiveSequence, AdmissionVerdict> _tryStart;
    private readonly Func<ActiveSequence, bool> _expire;
    private long _admissionTime;

    public GenerationScheduler(DeepseekModel model, PagedKvCache cache, TextTokenizer tokenizer, ModelDescription description, InferenceEngineOptions options)
    {
        _model = model;
        _cache = cache;
        _tokenizer = tokenizer;
        _description = description;
        _maxSequences = options.MaxBatchSequences;
        _maxStepTokens = Math.Max(options.MaxBatchTokens, options.MaxBatchSequences);
        _maxQueued = options.MaxQueuedSequences;
        _maxQueueWaitTicks = Ticks(options.MaxQueueWait);
        _kvBypassTicks = Ticks(options.KvBypassWait);
        _vocab = model.Config.VocabSize;
        _running = new List<ActiveSequence>(_maxSequences);
        _stepSequences = new List<ActiveSequence>(_maxSequences);
        _batch = new ForwardBatch(_maxSequences, _maxStepTokens);
        _logits = new float[_maxSequences * _vocab];
        _isEos = new bool[_vocab];
        _stepObserver = options.StepObserver;
        foreach (var eos in description.EosTokenIds)
        {
            if ((uint)eos < (uint)_vocab)
            {
                _isEos[eos] = true;
            }
        }

        _tryStart = TryStart;
        _expire = Expire;
        _thread = new Thread(Run) { Name = "maas-engine-scheduler", IsBackground = true };
        _thread.Start();
    }

    public int ActiveSequences => Volatile.Read(ref _active);

    public int QueuedSequences => Volatile.Read(ref _queued);

    /// <summary>Total forward steps run; for benchmarks and metrics.</summary>
    public long Steps { get; private set; }

    /// <summary>Sequences preempted so far (batch ones for interactive ones, or a tenant's over its share); for tests and metrics.</summary>
    public long Preemptions => Interlocked.Read(ref _preemptions);

    /// <summary>Stopwatch ticks spent on grammar masks and steps (read from other threads for benchmarks: a torn read only skews a figure).</summary>
    public long GrammarTicks { get; private set; }

    /// <summary>Queues a sequence, or refuses it at once when the queue is full.</summary>
    public void Enqueue(ActiveSequence sequence)
    {
        if (Interlocked.Increment(ref _queued) > _maxQueued)
        {
            Interlocked.Decrement(ref _queued);
            throw new GenerationRefusedException(GenerationRefusal.QueueFull, _maxQueued,
                $"The engine's queue is full ({_maxQueued} requests waiting); try again shortly.");
        }

        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        sequence.EnqueuedAt = now;
        var wait = sequence.Request.QueueTimeout is { } timeout ? Ticks(timeout) : _maxQueueWaitTicks;
        sequence.QueueDeadline = now + wait;
        _arrivals.Enqueue(sequence);
        _wake.Set();
    }

    public void Wake() => _wake.Set();

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        _thread.Join();
        _wake.Dispose();
    }

    private static long Ticks(TimeSpan span) =>
        span >= TimeSpan.FromDays(365) ? long.MaxValue / 2 : (long)(span.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);

    private FairQueue QueueOf(ActiveSequence sequence) => sequence.Priority == GenerationPriority.Batch ? _batchQueue : _interactive;

    private void Run()
    {
        while (!_stopping)
        {
            Admit();
            if (_running.Count == 0)
            {
                _wake.WaitOne(TimeSpan.FromMilliseconds(200));
                continue;
            }

            try
            {
                Step();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A failed step fails the sequences in it, never the scheduler thread.
                for (var i = _running.Count - 1; i >= 0; i--)
                {
                    Fail(_running[i], ex);
                    RemoveAt(i);
                }
            }
        }

        foreach (var sequence in _running)
        {
            Fail(sequence, new ObjectDisposedException(nameof(InferenceEngine)));
        }

        while (_arrivals.TryDequeue(out var arrival))
        {
            Fail(arrival, new ObjectDisposedException(nameof(InferenceEngine)));
        }

        foreach (var waiting in _interactive.Drain().Concat(_batchQueue.Drain()))
        {
            Fail(waiting, new ObjectDisposedException(nameof(InferenceEngine)));
        }
    }

    private void Admit()
    {
        while (_arrivals.TryDequeue(out var arrival))
        {
            QueueOf(arrival).Add(arrival);
        }

        // Cancelled and overdue waiting sequences leave first, wherever they are in the queues.
        _admissionTime = System.Diagnostics.Stopwatch.GetTimestamp();
        _interactive.Sweep(_expire);
        _batchQueue.Sweep(_expire);

        // Interactive first (it may take a batch sequence's slot and pages); batch only while nothing interactive holds
        // pages for itself.
        if (_interactive.Admit(_tryStart))
        {
            _batchQueue.Admit(_tryStart);
        }
    }

    /// <summary>Ends a waiting sequence that was cancelled or whose queue deadline passed; true if it leaves the queue.</summary>
    private bool Expire(ActiveSequence sequence)
    {
        var now = _admissionTime;
        if (sequence.CancelRequested)
        {
            Interlocked.Decrement(ref _queued);
            Finish(sequence, FinishReason.Cancelled);
            return true;
        }

        if (!sequence.Started && now > sequence.QueueDeadline)
        {
            Interlocked.Decrement(ref _queued);
            var waited = System.Diagnostics.Stopwatch.GetElapsedTime(sequence.EnqueuedAt, now);
            Fail(sequence, new GenerationRefusedException(GenerationRefusal.QueueTimeout, (long)waited.TotalMilliseconds,
                $"The request waited {waited.TotalSeconds:0.#} s for a batch slot, past its queue deadline; try again shortly."));
            return true;
        }

        return false;
    }

    /// <summary>
    /// Tries to start a waiting sequence: takes a batch slot (preempting where its class or its tenant's share allows)
    /// and reserves KV for its whole prompt and every token it may generate, so a running sequence can never run out of
    /// KV mid-generation.
    /// </summary>
    private AdmissionVerdict TryStart(ActiveSequence next)
    {
        var now = _admissionTime;
        if (next.CancelRequested)
        {
            Interlocked.Decrement(ref _queued);
            Finish(next, FinishReason.Cancelled);
            return AdmissionVerdict.Removed;
        }

        while (_running.Count >= _maxSequences)
        {
            if (!PreemptFor(next))
            {
                return AdmissionVerdict.NoRoom;
            }
        }

        var total = (int)Math.Min((long)next.PromptTokens.Length + next.Request.MaxTokens, _description.ContextLength);
        while (true)
        {
            var kv = _cache.CreateSequence();
            try
            {
                _cache.Reserve(kv, total);
            }
            catch (KvCacheExhaustedException)
            {
                _cache.Free(kv);
                if (PreemptFor(next))
                {
                    continue;
                }

                if (_running.Count == 0)
                {
                    // Nothing will ever free pages for it (arrivals larger than the cache are refused before they queue).
                    Interlocked.Decrement(ref _queued);
                    Fail(next, new GenerationRefusedException(GenerationRefusal.ExceedsKvCache, _description.KvCacheTokens,
                        $"The request needs KV for {total} tokens; the cache holds {_description.KvCacheTokens}."));
                    return AdmissionVerdict.Removed;
                }

                // Smaller sequences behind it may start meanwhile, until it has waited long enough to hold pages for itself.
                return now - next.EnqueuedAt > _kvBypassTicks ? AdmissionVerdict.Hold : AdmissionVerdict.Skipped;
            }

            next.Kv = kv;
            next.Started = true;
            _running.Add(next);
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _active);
            return AdmissionVerdict.Started;
        }
    }

    /// <summary>
    /// Makes room for <paramref name="next"/> by preempting one running sequence: for an interactive one, the most recent
    /// batch sequence; else, the most recent sequence of the tenant of its class that runs most over its weighted share
    /// next to <paramref name="next"/>'s tenant. False when there is none.
    /// </summary>
    private bool PreemptFor(ActiveSequence next)
    {
        if (next.Priority == GenerationPriority.Interactive && Preempt(static (s, _) => s.Priority == GenerationPriority.Batch, next))
        {
            return true;
        }

        // The tenant furthest over its share: largest Running / Weight.
        TenantQueue? over = null;
        var mine = next.Queue!;
        foreach (var sequence in _running)
        {
            var queue = sequence.Queue!;
            if (sequence.Priority == next.Priority && !sequence.Finished && queue != mine && queue.IsOverShareNextTo(mine)
                && (over is null || (long)queue.Running * over.Weight > (long)over.Running * queue.Weight))
            {
                over = queue;
            }
        }

        return over is not null && Preempt(static (s, victim) => s.Queue == victim, over);
    }

    /// <summary>Takes the most recently admitted running sequence that <paramref name="matches"/> out of the batch.</summary>
    private bool Preempt<T>(Func<ActiveSequence, T, bool> matches, T state)
    {
        for (var i = _running.Count - 1; i >= 0; i--)
        {
            var victim = _running[i];
            if (victim.Finished || !matches(victim, state))
            {
                continue;
            }

            // Back in its queue before its running count drops, so its tenant is never forgotten in between.
            QueueOf(victim).Add(victim, first: true);
            Interlocked.Increment(ref _queued);
            RemoveAt(i);
            victim.ResetForRecompute();
            Interlocked.Increment(ref _preemptions);
            return true;
        }

        return false;
    }

    private void Step()
    {
        _batch.Clear();
        _stepSequences.Clear();
        var budget = _maxStepTokens;

        // Decoding sequences first: one token each keeps their inter-token latency steady.
        for (var i = _running.Count - 1; i >= 0; i--)
        {
            var sequence = _running[i];
            if (sequence.CancelRequested)
            {
                Finish(sequence, FinishReason.Cancelled);
                RemoveAt(i);
            }
        }

        foreach (var sequence in _running)
        {
            if (sequence.PromptComplete && budget > 0)
            {
                _batch.Add(sequence.Kv!, sequence.DecodeInput, allLogits: false, fineTune: sequence.Request.FineTune);
                _stepSequences.Add(sequence);
                budget--;
            }
        }

        // Then prompt chunks with what is left of the budget (chunked prefill): interactive ones, then batch, each the
        // shortest remaining prompt first, so a short request (another tenant's one-liner) is never stuck behind long
        // prompts for more than a step. A sequence given less than its remainder ends the budget.
        foreach (var priority in Priorities)
        {
            while (budget > 0 && ShortestPrefill(priority) is { } sequence)
            {
                var chunk = Math.Min(budget, sequence.PrefillTokens.Length - sequence.PromptDone);
                _batch.Add(sequence.Kv!, sequence.PrefillTokens.AsSpan(sequence.PromptDone, chunk), allLogits: false, fineTune: sequence.Request.FineTune);
                _stepSequences.Add(sequence);
                sequence.PromptDone += chunk;
                budget -= chunk;
            }
        }

        if (_stepSequences.Count == 0)
        {
            return;
        }

        _model.Forward(_batch, _cache, _logits);
        Steps++;
        _stepObserver?.Invoke(_stepSequences.Count, _batch.TokenCount);

        for (var row = 0; row < _stepSequences.Count; row++)
        {
            var sequence = _stepSequences[row];
            if (!sequence.PromptComplete)
            {
                continue;
            }

            if (sequence.Resuming)
            {
                // A preempted sequence's KV is whole again; it already sampled from these logits before.
                sequence.Resuming = false;
                continue;
            }

            Emit(sequence, _logits.AsSpan(row * _vocab, _vocab));
        }

        for (var i = _running.Count - 1; i >= 0; i--)
        {
            if (_running[i].Finished)
            {
                RemoveAt(i);
            }
        }
    }

    /// <summary>The running sequence of <paramref name="priority"/> with the fewest prompt tokens left to prefill, if any.</summary>
    private ActiveSequence? ShortestPrefill(GenerationPriority priority)
    {
        ActiveSequence? shortest = null;
        foreach (var sequence in _running)
        {
            if (sequence.Priority == priority && !sequence.PromptComplete
                && (shortest is null || sequence.PrefillTokens.Length - sequence.PromptDone < shortest.PrefillTokens.Length - shortest.PromptDone))
            {
                shortest = sequence;
            }
        }

        return shortest;
    }

    private void Emit(ActiveSequence sequence, ReadOnlySpan<float> logits)
    {
        int token;
        var grammar = sequence.Grammar;
        if (grammar is { Active: true })
        {
            var started = Stopwatch.GetTimestamp();
            // The budget this token included: output under a grammar finishes by max_tokens whenever it can.
            var remaining = Math.Min(sequence.Request.MaxTokens - sequence.CompletionTokens, _description.ContextLength - sequence.Kv!.Length);
            var allowed = grammar.AllowedTokens(remaining);
            GrammarTicks += Stopwatch.GetTimestamp() - started;
            token = sequence.Sampler.Sample(logits, allowed);
        }
        else
        {
            token = sequence.Sampler.Sample(logits);
        }

        sequence.CompletionTokens++;
        sequence.Generated.Add(token);
        var request = sequence.Request;
        if (_isEos[token] && (request.StopAtEos || grammar is { IsAccepting: true }))
        {
            Finish(sequence, FinishReason.Stop);
            return;
        }

        if (grammar is not null)
        {
            var started = Stopwatch.GetTimestamp();
            grammar.Accept(token);
            GrammarTicks += Stopwatch.GetTimestamp() - started;
        }

        var text = sequence.StopMatcher.Process(sequence.Detokenizer.Push(token));
        var stopped = sequence.StopMatcher.Stopped;
        sequence.Events.Writer.TryWrite(new GenerationEvent
        {
            TokenId = token,
            Text = text.IsEmpty ? "" : new string(text),
            Logprob = request.Sampling.Logprobs ? sequence.Sampler.ChosenLogprob : null,
            TopLogprobs = request.Sampling.Logprobs && request.Sampling.TopLogprobs > 0 ? TopLogprobs(sequence) : null,
            Step = Steps,
        });

        if (stopped || grammar is { IsComplete: true })
        {
            // A complete grammar allows nothing but EOS: end here rather than spend a step sampling it.
            Finish(sequence, FinishReason.Stop);
        }
        else if (sequence.CompletionTokens >= request.MaxTokens)
        {
            Finish(sequence, FinishReason.Length);
        }
        else if (sequence.Kv!.Length + 1 > _description.ContextLength)
        {
            Finish(sequence, FinishReason.ContextFull);
        }
        else
        {
            sequence.DecodeInput[0] = token;
        }
    }

    private TokenLogprob[] TopLogprobs(ActiveSequence sequence)
    {
        var top = sequence.Sampler.TopLogprobs;
        var result = new TokenLogprob[top.Length];
        for (var i = 0; i < top.Length; i++)
        {
            result[i] = new TokenLogprob(top[i].TokenId, _tokenizer.TokenText(top[i].TokenId), top[i].Logprob);
        }

        return result;
    }

    private void Finish(ActiveSequence sequence, FinishReason reason)
    {
        if (sequence.Finished)
        {
            return;
        }

        sequence.Finished = true;
        sequence.ReleaseFineTune();
        if (reason != FinishReason.Cancelled)
        {
            // Text held back for a possible stop string or an unfinished character is released at the end.
            var tail = sequence.StopMatcher.Process(sequence.Detokenizer.Flush());
            var rest = sequence.StopMatcher.Flush();
            if (!tail.IsEmpty || !rest.IsEmpty)
            {
                sequence.Events.Writer.TryWrite(new GenerationEvent { Text = string.Concat(tail, rest) });
            }
        }

        sequence.Events.Writer.TryWrite(new GenerationEvent
        {
            Finish = reason,
            PromptTokens = sequence.PromptTokens.Length,
            CompletionTokens = sequence.CompletionTokens,
            Step = Steps,
        });
        sequence.Events.Writer.TryComplete();
    }

    private static void Fail(ActiveSequence sequence, Exception error)
    {
        sequence.Finished = true;
        sequence.ReleaseFineTune();
        sequence.Events.Writer.TryComplete(error);
    }

    private void RemoveAt(int index)
    {
        var sequence = _running[index];
        if (sequence.Kv is { } kv)
        {
            _cache.Free(kv);
            sequence.Kv = null;
        }

        _running.RemoveAt(index);
        QueueOf(sequence).Stopped(sequence);
        Interlocked.Decrement(ref _active);
    }
}
