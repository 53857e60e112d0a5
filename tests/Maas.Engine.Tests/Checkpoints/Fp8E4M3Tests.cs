using Maas.Engine.Checkpoints;
using Xunit;

namespace Maas.Engine.Tests.Checkpoints;

public sealed class Fp8E4M3Tests
{
    [Fact]
    public void Decode_table_has_the_E4M3fn_landmarks()
    {
        Assert.Equal(0f, Fp8E4M3.Decode(0x00));
        Assert.Equal(1f, Fp8E4M3.Decode(0x38));
        Assert.Equal(448f, Fp8E4M3.Decode(0x7E));
        Assert.Equal(-448f, Fp8E4M3.Decode(0xFE));
        Assert.Equal(MathF.Pow(2, -9), Fp8E4M3.Decode(0x01));
        Assert.Equal(MathF.Pow(2, -6), Fp8E4M3.Decode(0x08));
        Assert.True(float.IsNaN(Fp8E4M3.Decode(0x7F)));
        Assert.True(float.IsNaN(Fp8E4M3.Decode(0xFF)));
    }

    [Fact]
    public void Encode_inverts_decode_for_every_finite_code()
    {
        for (int code = 0; code < 256; code++)
        {
            if ((code & 0x7F) == 0x7F || code == 0x80)
            {
                continue;
            }

            Assert.Equal(code, Fp8E4M3.Encode(Fp8E4M3.Decode((byte)code)));
        }
    }

    [Fact]
    public void Encode_rounds_to_nearest_even_and_saturates()
    {
        Assert.Equal(0x38, Fp8E4M3.Encode(1.0625f));   // halfway 1 and 1.125: even mantissa (1.0)
        Assert.Equal(0x3A, Fp8E4M3.Encode(1.1875f));   // halfway 1.125 and 1.25: even mantissa (1.25)
        Assert.Equal(0x39, Fp8E4M3.Encode(1.1f));
        Assert.Equal(0x7E, Fp8E4M3.Encode(1000f));
        Assert.Equal(0xFE, Fp8E4M3.Encode(float.NegativeInfinity));
        Assert.Equal(0x7E, Fp8E4M3.Encode(460f));
        Assert.Equal(0x7F, Fp8E4M3.Encode(float.NaN));
    }

    [Fact]
    public void Encode_picks_the_nearest_representable_value()
    {
        var rng = new Random(5);
        for (int i = 0; i < 20000; i++)
        {
            float x = (float)((rng.NextDouble() * 2 - 1) * Math.Pow(2, rng.Next(-12, 9)));
            float q = Fp8E4M3.Decode(Fp8E4M3.Encode(x));
            for (int code = 0; code < 256; code++)
            {
                float v = Fp8E4M3.Decode((byte)code);
                if (!float.IsNaN(v))
                {
                    Assert.True(Math.Abs(q - x) <= Math.Abs(v - x), $"{x}: encoded {q}, but {v} is nearer");
                }
            }
        }
    }

    [Fact]
    public void Bf16_encode_rounds_to_nearest_even()
    {
        Assert.Equal(1f, Bf16.Decode(Bf16.Encode(1f + MathF.Pow(2, -8))));       // tie -> even
        Assert.Equal(1f + MathF.Pow(2, -6), Bf16.Decode(Bf16.Encode(1f + 3 * MathF.Pow(2, -8))));
        Assert.Equal(-2.5f, Bf16.Decode(Bf16.Encode(-2.5f)));
    }
}
