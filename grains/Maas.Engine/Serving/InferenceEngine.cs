using System.Runtime.CompilerServices;
using Maas.Engine.Checkpoints;
using Maas.Engine.KvCache;
using Maas.Engine.Model;
using Maas.Engine.Sampling;
using Maas.Grammar;
using Maas.Tokenization;

namespace Maas.Engine.Serving;

/// <summary>
/// The engine's front door: loads a model folder (weights, tokenizer) and serves many concurrent
/// generations through one continuous batch that runs on the engine's own threads.
/// </summary>
public sealed class InferenceEngine : ITextGenerator
{
    private readonly DeepseekModel _model;
    private readonly PagedKvCache _cache;
    private readonly TextTokenizer _tokenizer;
    private readonly GenerationScheduler _scheduler;
    private readonly Lazy<TokenVocabulary> _grammarVocabulary;
    private readonly ConditionalWeakTable<Grammar.Grammar, TokenGrammar> _tokenGrammars = [];

    private InferenceEngine(DeepseekModel model, PagedKvCache cache, TextTokenizer tokenizer, ModelDescription description, InferenceEngineOptions options)
    {
        _model = model;
        _cache = cache;
        _tokenizer = tokenizer;
        Model = description;
        _scheduler = new GenerationScheduler(model, cache, tokenizer, description, options);
        _grammarVocabulary = new Lazy<TokenVocabulary>(() => GrammarVocabulary.From(tokenizer), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public ModelDescription Model { get; }

    public TextTokenizer Tokenizer => _tokenizer;

    public int ActiveSequences => _scheduler.ActiveSequences;

    public int QueuedSequences => _scheduler.QueuedSequences;

    /// <summary>The code path each kernel family of the model's backend runs.</summary>
    public Kernels.KernelPaths Kernels => _model.Kernels;

    /// <summary>Forward steps run so far (a step is one batch through the model).</summary>
    public long Steps => _scheduler.Steps;

    /// <summary>Batch sequences that gave their slot to an interactive one so far.</summary>
    public long Preemptions => _scheduler.Preemptions;

    public static InferenceEngine Load(InferenceEngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxBatchSequences < 1 || options.MaxBatchTokens < 1 || options.KvCacheTokens < 1)
        {
            throw new ArgumentException("MaxBatchSequences, MaxBatchTokens and KvCacheTokens must be positive.", nameof(options));
        }

        var tokenizer = TextTokenizer.Load(options.ModelPath);
        var model = DeepseekModel.Load(options.ModelPath, new ModelLoadOptions
        {
            Weights = options.Weights,
            Threads = options.Threads,
            MaxBatchTokens = Math.Max(options.MaxBatchTokens, options.MaxBatchSequences),
            Progress = options.LoadProgress,
            Simd = options.Simd,
        });
        try
        {
            var config = model.Config;
            var context = config.ContextLength(options.MaxContextLength);
            var cache = PagedKvCache.ForTokens(config, options.KvCacheTokens, options.KvCache);
            var eos = new List<int>(tokenizer.EosTokenIds);
            foreach (var id in config.EosTokenIds)
            {
                if (!eos.Contains(id))
                {
                    eos.Add(id);
                }
            }

            var description = new ModelDescription(
                config.ArchitectureName,
                config.VocabSize,
                context,
                eos,
                (int)cache.BytesPerToken,
                model.ParameterCount,
                cache.PageCount * cache.PageSize);
            return new InferenceEngine(model, cache, tokenizer, description, options);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public async IAsyncEnumerable<GenerationEvent> GenerateAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var prompt = Validate(request);
        if (request.FineTune is { } fineTune && (!ReferenceEquals(fineTune.Model, _model) || !fineTune.TryAcquire()))
        {
            throw new ArgumentException($"Fine-tune {fineTune.Id} was loaded for another model or has been unloaded.", nameof(request));
        }

        var sequence = new ActiveSequence(request, prompt, _tokenizer, Model.VocabSize, request.Grammar is { } grammar ? TokenGrammarFor(grammar).CreateMatcher() : null);
        using var registration = cancellationToken.Register(static state =>
        {
            var (s, scheduler) = ((ActiveSequence, GenerationScheduler))state!;
            s.RequestCancel();
            scheduler.Wake();
        }, (sequence, _scheduler));

        _scheduler.Enqueue(sequence);
        try
        {
            await foreach (var item in sequence.Events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            // Covers a consumer that stops reading early without cancelling its token.
            if (!sequence.Finished)
            {
                sequence.RequestCancel();
                _scheduler.Wake();
            }
        }
    }

    /// <summary>
    /// The grammar paired with this model's vocabulary: one per grammar instance, so every sequence using a cached
    /// grammar shares its token masks.
    /// </summary>
    /// <exception cref="GrammarException">The tokenizer lacks a special token the grammar needs.</exception>
    public TokenGrammar TokenGrammarFor(Grammar.Grammar grammar) =>
        _tokenGrammars.GetValue(grammar, g => new TokenGrammar(g, _grammarVocabulary.Value));

    /// <summary>Time the scheduler spent on grammar masks and grammar steps (Stopwatch ticks), for benchmarks.</summary>
    public long GrammarTicks => _scheduler.GrammarTicks;

    /// <summary>
    /// Loads a fine-tune's replacement experts (an ESFT folder, validated against this model) for requests to run with
    /// (<see cref="GenerationRequest.FineTune"/>): only the listed experts' tensors are read, in the model's weight
    /// precision. The caller owns the result and disposes it to return the memory (after running sequences end).
    /// Reads and converts weights: call it off the request path's scheduler thread.
    /// </summary>
    public Experts.FineTuneExperts LoadFineTune(string folder, string id) => Experts.FineTuneExperts.Load(folder, _model, id);

    public ValueTask DisposeAsync()
    {
        _scheduler.Dispose();
        _cache.Dispose();
        _model.Dispose();
        return ValueTask.CompletedTask;
    }

    private int[] Validate(GenerationRequest request)
    {
        var count = request.PromptTokens.Count;
        if (count == 0)
        {
            throw new ArgumentException("The prompt has no tokens.", nameof(request));
        }

        if (request.MaxTokens < 1)
        {
            throw new ArgumentException("MaxTokens must be at least 1.", nameof(request));
        }

        if (count + 1 > Model.ContextLength)
        {
            throw new ArgumentException($"The prompt has {count} tokens; the context holds {Model.ContextLength}.", nameof(request));
        }

        // Pages for prompt + max_tokens (capped at the context) are reserved before a sequence starts: one that needs more
        // than the whole cache could wait forever, so it is refused now.
        var needed = Math.Min((long)count + request.MaxTokens, Model.ContextLength);
        if (needed > Model.KvCacheTokens)
        {
            throw new GenerationRefusedException(GenerationRefusal.ExceedsKvCache, Model.KvCacheTokens,
                $"The request needs KV cache for {needed} tokens ({count} in the prompt, up to {request.MaxTokens} to generate); " +
                $"this replica's cache holds {Model.KvCacheTokens} tokens.");
        }

        var prompt = new int[count];
        for (var i = 0; i < count; i++)
        {
            var id = request.PromptTokens[i];
            if ((uint)id >= (uint)Model.VocabSize)
            {
                throw new ArgumentException($"Prompt token {id} at position {i} is outside the vocabulary (0..{Model.VocabSize - 1}).", nameof(request));
            }

            prompt[i] = id;
        }

        return prompt;
    }
}
