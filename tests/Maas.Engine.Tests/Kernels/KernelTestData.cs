namespace Maas.Engine.Tests.Kernels;

internal static class KernelTestData
{
    public static float[] Random(Random rng, int n, float scale = 1f)
    {
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        }

        return values;
    }

    public static double MaxRelativeDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double scale = 1e-6;
        for (int i = 0; i < b.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(b[i]));
        }

        double max = 0;
        for (int i = 0; i < b.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]) / scale);
        }

        return max;
    }
}
