namespace Maas.Engine.Checkpoints;

/// <summary>
/// FP8 E4M3 ("fn": no infinities, 0x7F/0xFF are NaN, max 448): 1 sign, 4 exponent bits (bias 7),
/// 3 mantissa bits, subnormals M·2^-9.
/// </summary>
public static class Fp8E4M3
{
    public const float MaxValue = 448f;

    private static readonly float[] DecodeTable = BuildTable();

    /// <summary>The 256 decoded values, indexed by the code byte.</summary>
    public static ReadOnlySpan<float> Table => DecodeTable;

    public static float Decode(byte code) => DecodeTable[code];

    private static float[] BuildTable()
    {
        var table = new float[256];
        for (int code = 0; code < 256; code++)
        {
            int exponent = (code >> 3) & 0xF;
            int mantissa = code & 0x7;
            double magnitude = exponent == 0
                ? mantissa * Math.Pow(2, -9)
                : (1 + mantissa / 8.0) * Math.Pow(2, exponent - 7);
            if ((code & 0x7F) == 0x7F)
            {
                magnitude = double.NaN;
            }

            table[code] = (float)((code & 0x80) != 0 ? -magnitude : magnitude);
        }

        return table;
    }

    /// <summary>Round to nearest, ties to even; values beyond ±448 (and infinities) saturate to ±448; NaN gives 0x7F.</summary>
    public static byte Encode(float value)
    {
        if (float.IsNaN(value))
        {
            return 0x7F;
        }

        int sign = float.IsNegative(value) ? 0x80 : 0;
        double a = Math.Abs((double)value);
        if (a >= MaxValue)
        {
            return (byte)(sign | 0x7E);
        }

        const double minNormal = 1.0 / 64; // 2^-6
        if (a < minNormal)
        {
            // Subnormal grid of 2^-9; rounding up to 8 lands exactly on the smallest normal code 0x08.
            int m = (int)Math.Round(a * 512, MidpointRounding.ToEven);
            return (byte)(sign | m);
        }

        int exponent = Math.ILogB(a);
        double scaled = a / Math.ScaleB(1.0, exponent);
        int q = (int)Math.Round((scaled - 1) * 8, MidpointRounding.ToEven);
        if (q == 8)
        {
            q = 0;
            exponent++;
        }

        int biased = exponent + 7;
        if (biased > 15 || (biased == 15 && q == 7))
        {
            return (byte)(sign | 0x7E);
        }

        return (byte)(sign | (biased << 3) | q);
    }
}
