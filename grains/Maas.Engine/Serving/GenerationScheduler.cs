using System.Collections.Concurrent;
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
internal sealed class GenerationScheduler : IDisposable
{
    private readonly DeepseekModel _model;
    private readonly PagedKvCache _cache;
    private readonly TextTokenizer _tokenizer;
    private readonly ModelDescription _description;
    private readonly int _maxSequences;
    private readonly int _maxStepTokens;
    private readonly int _vocab;
    private readonly ConcurrentQueue<ActiveSequence> _incoming = new();
    private readonly List<ActiveSequence> _running;
    private readonly List<ActiveSequence> _stepSequences;
    private readonly ForwardBatch _batch;
    private readonly float[] _logits;
    private readonly bool[] _isEos;
    private readonly AutoResetEvent _wake = new(false);
    private readonly Action<int, int>? _stepObserver;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private int _queued;
    private int _active;

    public GenerationScheduler(DeepseekModel model, PagedKvCache cache, TextTokenizer tokenizer, ModelDescription description, InferenceEngineOptions options)
    {
        _model = model;
        _cache = cache;
        _tokenizer = tokenizer;
        _description = description;
        _maxSequences = options.MaxBatchSequences;
        _maxStepTokens = Math.Max(options.MaxBatchTokens, options.MaxBatchSequences);
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

        _thread = new Thread(Run) { Name = "maas-engine-scheduler", IsBackground = true };
        _thread.Start();
    }

    public int ActiveSequences => Volatile.Read(ref _active);

    public int QueuedSequences => Volatile.Read(ref _queued);

    /// <summary>Total forward steps run; for benchmarks and metrics.</summary>
    public long Steps { get; private set; }

    public void Enqueue(ActiveSequence sequence)
    {
        Interlocked.Increment(ref _queued);
        _incoming.Enqueue(sequence);
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

        while (_incoming.TryDequeue(out var waiting))
        {
            Fail(waiting, new ObjectDisposedException(nameof(InferenceEngine)));
        }
    }

    private void Admit()
    {
        while (_running.Count < _maxSequences && _incoming.TryPeek(out var next))
        {
            if (next.CancelRequested)
            {
                _incoming.TryDequeue(out _);
                Interlocked.Decrement(ref _queued);
                Finish(next, FinishReason.Cancelled);
                continue;
            }

            // Pages for the whole prompt plus every token it may generate are reserved up front, so a
            // running sequence can never run out of KV mid-generation; a request waits here instead.
            var kv = _cache.CreateSequence();
            var total = Math.Min(next.PromptTokens.Length + next.Request.MaxTokens, _description.ContextLength);
            try
            {
                _cache.Reserve(kv, total);
            }
            catch (KvCacheExhaustedException)
            {
                _cache.Free(kv);
                if (_running.Count == 0)
                {
                    // Nothing will ever free pages for it: the request is larger than the whole cache.
                    _incoming.TryDequeue(out _);
                    Interlocked.Decrement(ref _queued);
                    Fail(next, new InvalidOperationException($"The request needs KV for {total} tokens, more than the cache holds."));
                    continue;
                }

                return;
            }

            _incoming.TryDequeue(out _);
            Interlocked.Decrement(ref _queued);
            next.Kv = kv;
            _running.Add(next);
            Interlocked.Increment(ref _active);
        }
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

        // Then prompt chunks in arrival order with what is left of the budget (chunked prefill).
        foreach (var sequence in _running)
        {
            if (!sequence.PromptComplete && budget > 0)
            {
                var chunk = Math.Min(budget, sequence.PromptTokens.Length - sequence.PromptDone);
                _batch.Add(sequence.Kv!, sequence.PromptTokens.AsSpan(sequence.PromptDone, chunk), allLogits: false, fineTune: sequence.Request.FineTune);
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

    private void Emit(ActiveSequence sequence, ReadOnlySpan<float> logits)
    {
        var token = sequence.Sampler.Sample(logits);
        sequence.CompletionTokens++;
        var request = sequence.Request;
        if (request.StopAtEos && _isEos[token])
        {
            Finish(sequence, FinishReason.Stop);
            return;
        }

        var text = sequence.StopMatcher.Process(sequence.Detokenizer.Push(token));
        var stopped = sequence.StopMatcher.Stopped;
        sequence.Events.Writer.TryWrite(new GenerationEvent
        {
            TokenId = token,
            Text = text.IsEmpty ? "" : new string(text),
            Logprob = request.Sampling.Logprobs ? sequence.Sampler.ChosenLogprob : null,
            TopLogprobs = request.Sampling.Logprobs && request.Sampling.TopLogprobs > 0 ? TopLogprobs(sequence) : null,
        });

        if (stopped)
        {
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
        Interlocked.Decrement(ref _active);
    }
}
