using Maas.Checkpoints;
using Maas.Engine.Checkpoints;

namespace Maas.Engine.Model;

/// <summary>
/// RoPE frequencies for the qk_rope_head_dim part, with DeepSeek's YaRN: inv_freq blended between
/// extrapolation and interpolation (÷factor) by a linear ramp over the correction dims, cos/sin
/// scaled by mscale(factor, mscale)/mscale(factor, mscale_all_dim), and the softmax scale
/// multiplied by mscale(factor, mscale_all_dim)².
/// </summary>
internal sealed unsafe class RotaryEmbedding
{
    private readonly float[] _invFreq;

    public RotaryEmbedding(ModelConfig config)
    {
        int dim = config.QkRopeHeadDim;
        int half = dim / 2;
        _invFreq = new float[half];
        double theta = config.RopeTheta;
        YarnRopeScaling? yarn = config.RopeScaling;
        double softmaxScale = 1.0 / Math.Sqrt(config.QHeadDim);
        CosSinScale = 1f;
        if (yarn is null)
        {
            for (int i = 0; i < half; i++)
            {
                _invFreq[i] = (float)(1.0 / Math.Pow(theta, 2.0 * i / dim));
            }
        }
        else
        {
            double low = Math.Max(Math.Floor(CorrectionDim(yarn.BetaFast, dim, theta, yarn.OriginalMaxPositionEmbeddings)), 0);
            double high = Math.Min(Math.Ceiling(CorrectionDim(yarn.BetaSlow, dim, theta, yarn.OriginalMaxPositionEmbeddings)), dim - 1);
            if (low == high)
            {
                high += 0.001; // as DeepSeek's yarn_linear_ramp_mask: avoid a zero-width ramp
            }

            for (int i = 0; i < half; i++)
            {
                double extrapolation = 1.0 / Math.Pow(theta, 2.0 * i / dim);
                double interpolation = extrapolation / yarn.Factor;
                double ramp = Math.Clamp((i - low) / (high - low), 0, 1);
                double extrapolationWeight = 1 - ramp;
                _invFreq[i] = (float)(interpolation * (1 - extrapolationWeight) + extrapolation * extrapolationWeight);
            }

            CosSinScale = (float)(Mscale(yarn.Factor, yarn.Mscale) / Mscale(yarn.Factor, yarn.MscaleAllDim));
            if (yarn.MscaleAllDim != 0)
            {
                double m = Mscale(yarn.Factor, yarn.MscaleAllDim);
                softmaxScale *= m * m;
            }
        }

        SoftmaxScale = (float)softmaxScale;
    }

    public int Half => _invFreq.Length;

    public float CosSinScale { get; }

    /// <summary>Attention softmax scale (q_head_dim^-0.5, times the YaRN mscale²).</summary>
    public float SoftmaxScale { get; }

    /// <summary>Writes cos and sin (Half values each) for one position.</summary>
    public void Fill(int position, float* cos, float* sin)
    {
        for (int i = 0; i < _invFreq.Length; i++)
        {
            float angle = position * _invFreq[i];
            cos[i] = (float)Math.Cos(angle) * CosSinScale;
            sin[i] = (float)Math.Sin(angle) * CosSinScale;
        }
    }

    private static double CorrectionDim(double rotations, int dim, double theta, int originalMax) =>
        dim * Math.Log(originalMax / (rotations * 2 * Math.PI)) / (2 * Math.Log(theta));

    private static double Mscale(double factor, double mscale) => factor <= 1 ? 1.0 : 0.1 * mscale * Math.Log(factor) + 1.0;
}
