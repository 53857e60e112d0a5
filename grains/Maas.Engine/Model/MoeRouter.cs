using Maas.Checkpoints;
using Maas.Engine.Checkpoints;

namespace Maas.Engine.Model;

/// <summary>
/// DeepSeek's top-k expert choice for one token, in f32: scores (softmax or sigmoid), optional
/// correction bias and group limit for the choice, weights from the uncorrected scores, then
/// renormalisation and routed_scaling_factor by the V2/V3 rules.
/// </summary>
internal sealed class MoeRouter
{
    private readonly ModelConfig _config;
    private readonly float[] _scores;
    private readonly float[] _choice;
    private readonly float[] _groupScores;
    private readonly bool[] _groupKept;

    public MoeRouter(ModelConfig config)
    {
        _config = config;
        _scores = new float[config.NRoutedExperts];
        _choice = new float[config.NRoutedExperts];
        _groupScores = new float[Math.Max(1, config.NGroup)];
        _groupKept = new bool[Math.Max(1, config.NGroup)];
    }

    /// <summary>Chooses num_experts_per_tok experts from the router logits; writes their ids and weights.</summary>
    public void Route(ReadOnlySpan<float> logits, float[]? correctionBias, Span<int> experts, Span<float> weights)
    {
        int n = _config.NRoutedExperts;
        int k = _config.NumExpertsPerTok;
        float[] scores = _scores;
        float[] choice = _choice;

        if (_config.ScoringFunction == ScoringFunction.Softmax)
        {
            float max = float.NegativeInfinity;
            for (int e = 0; e < n; e++)
            {
                max = MathF.Max(max, logits[e]);
            }

            float sum = 0;
            for (int e = 0; e < n; e++)
            {
                scores[e] = MathF.Exp(logits[e] - max);
                sum += scores[e];
            }

            for (int e = 0; e < n; e++)
            {
                scores[e] /= sum;
            }
        }
        else
        {
            for (int e = 0; e < n; e++)
            {
                scores[e] = 1f / (1f + MathF.Exp(-logits[e]));
            }
        }

        for (int e = 0; e < n; e++)
        {
            choice[e] = correctionBias is null ? scores[e] : scores[e] + correctionBias[e];
        }

        if (_config.TopKMethod != TopKMethod.Greedy && _config.NGroup > 1)
        {
            LimitGroups(choice);
        }

        // Top-k of the (corrected, group-limited) choice scores; ties go to the lower expert id.
        for (int j = 0; j < k; j++)
        {
            int best = -1;
            for (int e = 0; e < n; e++)
            {
                if (float.IsNegativeInfinity(choice[e]))
                {
                    continue;
                }

                if (best < 0 || choice[e] > choice[best])
                {
                    best = e;
                }
            }

            experts[j] = best;
            weights[j] = scores[best];
            choice[best] = float.NegativeInfinity;
        }

        if (k > 1 && _config.NormTopKProb)
        {
            float sum = 0;
            for (int j = 0; j < k; j++)
            {
                sum += weights[j];
            }

            float denominator = sum + 1e-20f;
            for (int j = 0; j < k; j++)
            {
                weights[j] /= denominator;
            }
        }

        if (_config.ScaleRoutedWeights)
        {
            float factor = (float)_config.RoutedScalingFactor;
            for (int j = 0; j < k; j++)
            {
                weights[j] *= factor;
            }
        }
    }

    /// <summary>Keeps the topk_group best groups (noaux_tc: sum of each group's top 2; else its max) and masks the rest.</summary>
    private void LimitGroups(float[] choice)
    {
        int groups = _config.NGroup;
        int size = _config.NRoutedExperts / groups;
        bool topTwo = _config.TopKMethod == TopKMethod.NoAuxTc;
        for (int g = 0; g < groups; g++)
        {
            float first = float.NegativeInfinity;
            float second = float.NegativeInfinity;
            for (int e = g * size; e < (g + 1) * size; e++)
            {
                float v = choice[e];
                if (v > first)
                {
                    second = first;
                    first = v;
                }
                else if (v > second)
                {
                    second = v;
                }
            }

            _groupScores[g] = topTwo ? first + second : first;
            _groupKept[g] = false;
        }

        for (int j = 0; j < _config.TopKGroup; j++)
        {
            int best = -1;
            for (int g = 0; g < groups; g++)
            {
                if (!_groupKept[g] && (best < 0 || _groupScores[g] > _groupScores[best]))
                {
                    best = g;
                }
            }

            _groupKept[best] = true;
        }

        for (int g = 0; g < groups; g++)
        {
            if (!_groupKept[g])
            {
                for (int e = g * size; e < (g + 1) * size; e++)
                {
                    choice[e] = float.NegativeInfinity;
                }
            }
        }
    }
}
