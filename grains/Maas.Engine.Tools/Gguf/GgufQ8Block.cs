namespace Maas.Engine.Tools.Gguf;

/// <summary>ggml's Q8_0 block: 32 values as an f16 scale (max |x| / 127) and 32 rounded int8 codes.</summary>
public static class GgufQ8Block
{
    public const int Values = 32;
    public const int Bytes = 2 + Values;

    /// <summary>Bytes of <paramref name="count"/> values (a multiple of <see cref="Values"/>).</summary>
    public static long SizeOf(long count) => count / Values * Bytes;

    /// <summary>Quantizes <paramref name="values"/> (length a multiple of 32) into <paramref name="target"/>, as ggml's reference quantizer does.</summary>
    public static void Encode(ReadOnlySpan<float> values, Span<byte> target)
    {
        if (values.Length % Values != 0 || target.Length != SizeOf(values.Length))
        {
            throw new ArgumentException($"Q8_0 needs a multiple of {Values} values and {Bytes} bytes per block; got {values.Length} values, {target.Length} bytes");
        }

        for (int b = 0; b < values.Length / Values; b++)
        {
            ReadOnlySpan<float> block = values.Slice(b * Values, Values);
            Span<byte> output = target.Slice(b * Bytes, Bytes);
            float max = 0;
            foreach (float v in block)
            {
                max = Math.Max(max, Math.Abs(v));
            }

            float scale = max / 127f;
            float inverse = scale != 0 ? 1f / scale : 0f;
            BitConverter.TryWriteBytes(output, (Half)scale);
            for (int i = 0; i < Values; i++)
            {
                output[2 + i] = (byte)(sbyte)MathF.Round(block[i] * inverse, MidpointRounding.AwayFromZero);
            }
        }
    }

    /// <summary>Value <paramref name="index"/> of a Q8_0 row (for tests and checks).</summary>
    public static float Decode(ReadOnlySpan<byte> row, int index)
    {
        ReadOnlySpan<byte> block = row.Slice(index / Values * Bytes, Bytes);
        float scale = (float)BitConverter.ToHalf(block);
        return scale * (sbyte)block[2 + (index % Values)];
    }
}
