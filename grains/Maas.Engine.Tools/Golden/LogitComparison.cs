using Maas.Engine.Sampling;

namespace Maas.Engine.Tools.Golden;

/// <summary>Max abs difference (NaN counts as infinite) and argmax agreement between two [rows, vocab] logit arrays.</summary>
public readonly record struct LogitComparison(double MaxAbs, int ArgmaxAgreements, int Rows)
{
    public bool AllArgmaxAgree => ArgmaxAgreements == Rows;

    public static LogitComparison Compare(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, int vocab)
    {
        int rows = expected.Length / vocab;
        double maxAbs = 0;
        int agree = 0;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> a = actual.Slice(r * vocab, vocab);
            ReadOnlySpan<float> e = expected.Slice(r * vocab, vocab);
            for (int i = 0; i < vocab; i++)
            {
                double d = Math.Abs((double)a[i] - e[i]);
                if (double.IsNaN(d))
                {
                    d = double.PositiveInfinity;
                }

                maxAbs = Math.Max(maxAbs, d);
            }

            if (Sampler.ArgMax(a) == Sampler.ArgMax(e))
            {
                agree++;
            }
        }

        return new LogitComparison(maxAbs, agree, rows);
    }
}
