namespace Maas.Engine.Checkpoints;

/// <summary>bfloat16: the upper 16 bits of an IEEE float32.</summary>
public static class Bf16
{
    public static float Decode(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Round to nearest, ties to even (NaN stays NaN).</summary>
    public static ushort Encode(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}
