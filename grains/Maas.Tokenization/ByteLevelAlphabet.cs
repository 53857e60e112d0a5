namespace Maas.Tokenization;

/// <summary>
/// GPT-2's byte-to-character table used by byte-level BPE vocabularies: printable bytes map to
/// themselves, the rest to U+0100 onwards, so every vocabulary string names a byte sequence.
/// </summary>
internal static class ByteLevelAlphabet
{
    /// <summary>Character to byte; -1 for characters outside the alphabet.</summary>
    private static readonly short[] ByteOfChar = BuildInverse();

    /// <summary>Byte to character.</summary>
    private static readonly char[] CharOfByte = BuildForward();

    /// <summary>The character a byte is written as in vocabulary strings.</summary>
    public static char CharOf(byte value) => CharOfByte[value];

    /// <summary>Appends the bytes a vocabulary string stands for; false if it holds a foreign character.</summary>
    public static bool TryAppendBytes(string token, List<byte> destination)
    {
        foreach (char c in token)
        {
            int b = c < ByteOfChar.Length ? ByteOfChar[c] : -1;
            if (b < 0)
            {
                return false;
            }

            destination.Add((byte)b);
        }

        return true;
    }

    private static char[] BuildForward()
    {
        var forward = new char[256];
        for (int c = 0; c < ByteOfChar.Length; c++)
        {
            if (ByteOfChar[c] >= 0)
            {
                forward[ByteOfChar[c]] = (char)c;
            }
        }

        return forward;
    }

    private static short[] BuildInverse()
    {
        var inverse = new short[0x200];
        Array.Fill(inverse, (short)-1);
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            int c = printable ? b : 0x100 + next++;
            inverse[c] = (short)b;
        }

        return inverse;
    }
}
