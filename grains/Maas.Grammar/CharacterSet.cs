namespace Maas.Grammar;

/// <summary>A set of Unicode scalar values for <see cref="PatternCompiler"/>: an ASCII bitmap, explicit non-ASCII ranges, or all of non-ASCII.</summary>
internal sealed class CharacterSet
{
    private readonly bool[] _ascii = new bool[128];
    private readonly List<(int Low, int High)> _nonAscii = [];

    public bool AllNonAscii { get; private set; }

    public IReadOnlyList<(int Low, int High)> NonAsciiRanges => _nonAscii;

    public static CharacterSet Of(int code) => new CharacterSet().AddRange(code, code);

    public static CharacterSet Digits() => new CharacterSet().AddRange('0', '9');

    public static CharacterSet Word() => new CharacterSet().AddRange('0', '9').AddRange('a', 'z').AddRange('A', 'Z').AddRange('_', '_');

    public static CharacterSet Space() => new CharacterSet().AddRange(' ', ' ').AddRange('\t', '\r');

    public bool Contains(int ascii) => _ascii[ascii];

    public CharacterSet AddRange(int low, int high)
    {
        for (var c = low; c <= Math.Min(high, 127); c++)
        {
            _ascii[c] = true;
        }

        if (high >= 128)
        {
            _nonAscii.Add((Math.Max(low, 128), high));
        }

        return this;
    }

    public CharacterSet Add(CharacterSet other)
    {
        for (var c = 0; c < 128; c++)
        {
            _ascii[c] |= other._ascii[c];
        }

        _nonAscii.AddRange(other._nonAscii);
        AllNonAscii |= other.AllNonAscii;
        return this;
    }

    /// <summary>The complement; a complement of explicit non-ASCII characters is refused (it would need range arithmetic over UTF-8).</summary>
    public CharacterSet Negate()
    {
        if (_nonAscii.Count > 0)
        {
            throw new GrammarException("A negated pattern class with characters beyond ASCII is not supported by structured outputs.", "pattern");
        }

        var result = new CharacterSet { AllNonAscii = !AllNonAscii };
        for (var c = 0; c < 128; c++)
        {
            result._ascii[c] = !_ascii[c];
        }

        return result;
    }
}
