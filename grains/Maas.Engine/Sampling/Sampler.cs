using Maas.Engine.Serving;

namespace Maas.Engine.Sampling;

/// <summary>
/// Picks each next token of one sequence from the model's logits under the request's
/// <see cref="SamplingParameters"/>. One instance per sequence; not thread-safe. All scratch is
/// allocated in the constructor (sized by the vocabulary), so <see cref="Sample"/> does not allocate.
/// </summary>
/// <remarks>
/// Order of operations per step, as in OpenAI / Hugging Face:
/// <list type="number">
/// <item>Penalties on a copy of the logits, over the tokens this sampler has produced so far:
/// <c>logit[t] -= count[t] * frequency_penalty + (count[t] &gt; 0 ? presence_penalty : 0)</c>; then logit_bias
/// (<c>logit[t] += bias[t]</c>); then the grammar's token mask, when the sequence is constrained: every token it does not
/// allow gets -inf, so temperature, top-k and top-p only ever see allowed tokens.</item>
/// <item>Temperature 0 (or top_k 1) is greedy: the first index of the largest penalised logit.</item>
/// <item>Otherwise weights <c>exp((logit - max) / temperature)</c>; top_k keeps the k largest (heap
/// selection, no full sort); top_p keeps the smallest prefix of the descending-sorted candidates whose
/// mass reaches top_p of the candidates' total (sorting only the tokens above a probability threshold
/// that is lowered until it provably contains the nucleus); then one uniform draw from a seeded
/// xoshiro256** generator.</item>
/// </list>
/// Logprobs (chosen token and top alternatives) come from the log-softmax of the <b>penalised</b>
/// logits at temperature 1, before top_k/top_p truncation: they describe the model's distribution
/// after penalties, independent of how the request chose to sample from it. Computed in double.
/// </remarks>
public sealed class Sampler
{
    /// <summary>OpenAI's limit for top_logprobs.</summary>
    public const int MaxTopLogprobs = 20;

    private readonly float[] _logits;
    private readonly float[] _weights;
    private readonly int[] _candidates;
    private readonly float[] _sortKeys;
    private readonly int[] _counts;
    private readonly int[] _generated;
    private readonly TokenCandidate[] _top;
    private readonly ulong _seed;
    private Xoshiro256StarStar _random;
    private int _distinctGenerated;
    private int _topCount;

    /// <param name="parameters">The request's sampling parameters.</param>
    /// <param name="vocabSize">Length of the logits the model produces (config.json vocab_size).</param>
    /// <param name="sampleableTokens">
    /// Only ids below this are ever picked or reported, and logprobs are normalised over them. Models pad
    /// their output layer beyond the tokenizer (DeepSeek-V3: 129,280 logits, 128,815 token ids); pass the
    /// tokenizer's VocabSize so an untrained padding row can never become a token. Defaults to all.
    /// </param>
    public Sampler(SamplingParameters parameters, int vocabSize, int? sampleableTokens = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 1);
        int sampleable = sampleableTokens ?? vocabSize;
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleable, 1, nameof(sampleableTokens));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sampleable, vocabSize, nameof(sampleableTokens));
        if (!float.IsFinite(parameters.Temperature) || parameters.Temperature < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(parameters), parameters.Temperature, "Temperature must be finite and >= 0.");
        }

        if (!(parameters.TopP > 0 && parameters.TopP <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(parameters), parameters.TopP, "TopP must be in (0, 1].");
        }

        if (parameters.TopK < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(parameters), parameters.TopK, "TopK must be >= 0 (0 disables).");
        }

        if (parameters.TopLogprobs is < 0 or > MaxTopLogprobs)
        {
            throw new ArgumentOutOfRangeException(nameof(parameters), parameters.TopLogprobs, $"TopLogprobs must be in 0..{MaxTopLogprobs}.");
        }

        if (!float.IsFinite(parameters.PresencePenalty) || !float.IsFinite(parameters.FrequencyPenalty))
        {
            throw new ArgumentOutOfRangeException(nameof(parameters), "Penalties must be finite.");
        }

        Parameters = parameters;
        VocabSize = vocabSize;
        _logits = new float[sampleable];
        _weights = new float[sampleable];
        _candidates = new int[sampleable];
        _sortKeys = new float[sampleable];
        _counts = new int[vocabSize];
        _generated = new int[vocabSize];
        _top = new TokenCandidate[parameters.TopLogprobs];
        _seed = parameters.Seed is { } seed ? unchecked((ulong)seed) : (ulong)Random.Shared.NextInt64();
        _random = new Xoshiro256StarStar(_seed);
    }

    public SamplingParameters Parameters { get; }

    /// <summary>Length of the logits <see cref="Sample"/> takes.</summary>
    public int VocabSize { get; }

    /// <summary>Ids below this can be picked.</summary>
    public int SampleableTokens => _logits.Length;

    /// <summary>Log-probability of the last sampled token; NaN unless <see cref="SamplingParameters.Logprobs"/>.</summary>
    public float ChosenLogprob { get; private set; } = float.NaN;

    /// <summary>The last step's most likely tokens, most likely first (TopLogprobs of them; empty unless Logprobs). Valid until the next call.</summary>
    public ReadOnlySpan<TokenCandidate> TopLogprobs => _top.AsSpan(0, _topCount);

    /// <summary>How often the token was produced so far in this sequence.</summary>
    public int CountOf(int tokenId) => _counts[tokenId];

    /// <summary>Chooses the next token and counts it for later penalties.</summary>
    /// <param name="logits">One logit per vocabulary id (length <see cref="VocabSize"/>); not modified. Must not contain NaN.</param>
    /// <param name="allowedTokens">
    /// Empty, or one bit per id (bit t of word t/64) of the tokens that may be chosen (a grammar's mask); at least one
    /// sampleable id must be allowed.
    /// </param>
    public int Sample(ReadOnlySpan<float> logits, ReadOnlySpan<ulong> allowedTokens = default)
    {
        if (logits.Length != VocabSize)
        {
            throw new ArgumentException($"Expected {VocabSize} logits, got {logits.Length}.", nameof(logits));
        }

        logits[.._logits.Length].CopyTo(_logits);
        ApplyPenalties();
        ApplyLogitBias();
        if (!allowedTokens.IsEmpty)
        {
            ApplyMask(allowedTokens);
        }

        int chosen = Parameters.Temperature == 0 || Parameters.TopK == 1 ? ArgMax(_logits) : Draw();
        if (Parameters.Logprobs)
        {
            ComputeLogprobs(chosen);
        }

        Record(chosen);
        return chosen;
    }

    /// <summary>Counts a token that entered the sequence without <see cref="Sample"/> (e.g. forced), for penalties.</summary>
    public void Record(int tokenId)
    {
        if (_counts[tokenId]++ == 0)
        {
            _generated[_distinctGenerated++] = tokenId;
        }
    }

    /// <summary>Starts the sequence over: forgets counts and restarts the generator from the same seed.</summary>
    public void Reset()
    {
        for (int i = 0; i < _distinctGenerated; i++)
        {
            _counts[_generated[i]] = 0;
        }

        _distinctGenerated = 0;
        _random = new Xoshiro256StarStar(_seed);
        ChosenLogprob = float.NaN;
        _topCount = 0;
    }

    private void ApplyPenalties()
    {
        float frequency = Parameters.FrequencyPenalty;
        float presence = Parameters.PresencePenalty;
        if (frequency == 0 && presence == 0)
        {
            return;
        }

        for (int i = 0; i < _distinctGenerated; i++)
        {
            int id = _generated[i];
            if (id < _logits.Length)
            {
                _logits[id] -= _counts[id] * frequency + presence;
            }
        }
    }

    private void ApplyLogitBias()
    {
        foreach (var (id, bias) in Parameters.LogitBias)
        {
            if ((uint)id < (uint)_logits.Length)
            {
                _logits[id] += bias;
            }
        }
    }

    /// <summary>Disallowed tokens get -inf: whole zero words at once, mixed words bit by bit.</summary>
    private void ApplyMask(ReadOnlySpan<ulong> allowed)
    {
        var logits = _logits.AsSpan();
        var anyAllowed = false;
        for (var word = 0; word * 64 < logits.Length; word++)
        {
            var bits = word < allowed.Length ? allowed[word] : 0;
            var start = word * 64;
            var count = Math.Min(64, logits.Length - start);
            if (count == 64 && bits == ulong.MaxValue)
            {
                anyAllowed = true;
                continue;
            }

            if (bits == 0)
            {
                logits.Slice(start, count).Fill(float.NegativeInfinity);
                continue;
            }

            for (var i = 0; i < count; i++)
            {
                if ((bits & (1UL << i)) == 0)
                {
                    logits[start + i] = float.NegativeInfinity;
                }
                else
                {
                    anyAllowed = true;
                }
            }
        }

        if (!anyAllowed)
        {
            throw new InvalidOperationException("The grammar allows no token of the vocabulary here.");
        }
    }

    private int Draw()
    {
        float max = Max(_logits);
        if (!float.IsFinite(max))
        {
            throw new InvalidOperationException($"Cannot sample: the largest logit is {max}.");
        }

        double inverseTemperature = 1.0 / Parameters.Temperature;
        int topK = Parameters.TopK;
        float topP = Parameters.TopP;
        int count;
        double referenceMass;
        if (topK > 0 && topK < _logits.Length)
        {
            count = SelectLargest(topK);
            referenceMass = 0;
            for (int j = 0; j < count; j++)
            {
                float w = (float)Math.Exp((_logits[_candidates[j]] - max) * inverseTemperature);
                _sortKeys[j] = -w;
                referenceMass += w;
            }
        }
        else
        {
            referenceMass = 0;
            for (int id = 0; id < _logits.Length; id++)
            {
                float w = (float)Math.Exp((_logits[id] - max) * inverseTemperature);
                _weights[id] = w;
                referenceMass += w;
            }

            if (topP >= 1)
            {
                return DrawFromAll(referenceMass);
            }

            count = GatherNucleusCandidates(topP * referenceMass);
        }

        // Descending weight: sort ascending on the negated weights.
        _sortKeys.AsSpan(0, count).Sort(_candidates.AsSpan(0, count));
        int kept = count;
        double keptMass = 0;
        double target = topP >= 1 ? double.PositiveInfinity : topP * referenceMass;
        for (int j = 0; j < count; j++)
        {
            keptMass += -_sortKeys[j];
            if (keptMass >= target)
            {
                kept = j + 1;
                break;
            }
        }

        double u = _random.NextDouble() * keptMass;
        double cumulative = 0;
        for (int j = 0; j < kept; j++)
        {
            cumulative += -_sortKeys[j];
            if (u < cumulative)
            {
                return _candidates[j];
            }
        }

        // Rounding can leave u a hair above the last partial sum; the last kept token owns that mass.
        return _candidates[kept - 1];
    }

    private int DrawFromAll(double totalMass)
    {
        double u = _random.NextDouble() * totalMass;
        double cumulative = 0;
        int last = 0;
        for (int id = 0; id < _weights.Length; id++)
        {
            float w = _weights[id];
            if (w > 0)
            {
                cumulative += w;
                last = id;
                if (u < cumulative)
                {
                    return id;
                }
            }
        }

        return last;
    }

    /// <summary>
    /// Puts into _candidates / _sortKeys every token whose weight is at least a threshold chosen so the
    /// set's mass reaches <paramref name="nucleusMass"/>. Such a set is a prefix of the descending order,
    /// so it contains the nucleus; usually it is a few hundred tokens instead of the whole vocabulary.
    /// </summary>
    private int GatherNucleusCandidates(double nucleusMass)
    {
        // The largest weight is 1 (the max logit), so thresholds are relative to it.
        for (float threshold = 1e-3f; ; threshold *= 1e-3f)
        {
            if (threshold < 1e-30f)
            {
                threshold = float.Epsilon;
            }

            double mass = 0;
            for (int id = 0; id < _weights.Length; id++)
            {
                float w = _weights[id];
                if (w >= threshold)
                {
                    mass += w;
                }
            }

            if (mass >= nucleusMass || threshold == float.Epsilon)
            {
                int count = 0;
                for (int id = 0; id < _weights.Length; id++)
                {
                    float w = _weights[id];
                    if (w >= threshold)
                    {
                        _candidates[count] = id;
                        _sortKeys[count] = -w;
                        count++;
                    }
                }

                return count;
            }
        }
    }

    /// <summary>The k largest logits' ids into _candidates[0..k) via a min-heap (O(V log k)); ties keep the lower id.</summary>
    private int SelectLargest(int k)
    {
        Span<int> heap = _candidates.AsSpan(0, k);
        float[] logits = _logits;
        for (int id = 0; id < k; id++)
        {
            heap[id] = id;
            SiftUp(heap, id, logits);
        }

        for (int id = k; id < logits.Length; id++)
        {
            if (logits[id] > logits[heap[0]])
            {
                heap[0] = id;
                SiftDown(heap, 0, logits);
            }
        }

        return k;
    }

    /// <summary>Min-heap order: smaller logit first; on equal logits the higher id is "smaller" so it is evicted first.</summary>
    private static bool Below(int a, int b, float[] logits) => logits[a] < logits[b] || (logits[a] == logits[b] && a > b);

    private static void SiftUp(Span<int> heap, int index, float[] logits)
    {
        while (index > 0)
        {
            int parent = (index - 1) / 2;
            if (!Below(heap[index], heap[parent], logits))
            {
                return;
            }

            (heap[index], heap[parent]) = (heap[parent], heap[index]);
            index = parent;
        }
    }

    private static void SiftDown(Span<int> heap, int index, float[] logits)
    {
        while (true)
        {
            int left = 2 * index + 1;
            if (left >= heap.Length)
            {
                return;
            }

            int smallest = left + 1 < heap.Length && Below(heap[left + 1], heap[left], logits) ? left + 1 : left;
            if (!Below(heap[smallest], heap[index], logits))
            {
                return;
            }

            (heap[index], heap[smallest]) = (heap[smallest], heap[index]);
            index = smallest;
        }
    }

    private void ComputeLogprobs(int chosen)
    {
        ReadOnlySpan<float> logits = _logits;
        float max = Max(logits);
        double sum = 0;
        foreach (float logit in logits)
        {
            sum += Math.Exp(logit - (double)max);
        }

        double logNormalizer = max + Math.Log(sum);
        ChosenLogprob = (float)(logits[chosen] - logNormalizer);

        // Insertion into a small descending list: O(V) for the usual case, O(V * n) worst case with n <= 20.
        int capacity = _top.Length;
        int count = 0;
        for (int id = 0; id < logits.Length && capacity > 0; id++)
        {
            float logit = logits[id];

            // A token the grammar does not allow is no alternative (and -inf has no JSON form).
            if (float.IsNegativeInfinity(logit) || (count == capacity && !(logit > _top[count - 1].Logprob)))
            {
                continue;
            }

            int position = count == capacity ? count - 1 : count++;
            while (position > 0 && logit > _top[position - 1].Logprob)
            {
                _top[position] = _top[position - 1];
                position--;
            }

            _top[position] = new TokenCandidate(id, logit);
        }

        for (int j = 0; j < count; j++)
        {
            _top[j] = new TokenCandidate(_top[j].TokenId, (float)(_top[j].Logprob - logNormalizer));
        }

        _topCount = count;
    }

    /// <summary>The greedy choice: the first index of the largest value.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static float Max(ReadOnlySpan<float> values)
    {
        float max = float.NegativeInfinity;
        foreach (float v in values)
        {
            if (v > max)
            {
                max = v;
            }
        }

        return max;
    }
}
