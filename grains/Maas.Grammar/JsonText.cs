namespace Maas.Grammar;

/// <summary>
/// The pieces of compact JSON text (RFC 8259) as grammar fragments: strings as valid UTF-8 with JSON escapes, numbers,
/// literals, and any JSON value. No whitespace between tokens: a model under the grammar can then never spend its whole
/// budget on blanks, and the text is what a compact serializer writes.
/// </summary>
internal sealed class JsonText(GrammarBuilder builder)
{
    /// <summary>Digits of an integer part, a fraction, an exponent: what a double can carry, so a sampled number is never endless.</summary>
    public const int MaxIntegerDigits = 16;
    public const int MaxFractionDigits = 16;
    public const int MaxExponentDigits = 3;

    private int _anyValueRule = -1;

    public GrammarBuilder Builder => builder;

    /// <summary>One character inside a JSON string, as JSON writes it: printable ASCII but quote and backslash, any valid UTF-8 sequence, or an escape.</summary>
    public GrammarFragment StringCharacter() => builder.Choice(
        builder.Ranges([(0x20, 0x21), (0x23, 0x5B), (0x5D, 0x7F)]),
        MultiByteCharacter(),
        Escape());

    /// <summary>A valid UTF-8 sequence of 2 to 4 bytes (no overlongs, no surrogates, at most U+10FFFF).</summary>
    public GrammarFragment MultiByteCharacter() => builder.Choice(
        builder.Sequence(builder.Range(0xC2, 0xDF), Continuation()),
        builder.Sequence(builder.Range(0xE0, 0xE0), builder.Range(0xA0, 0xBF), Continuation()),
        builder.Sequence(builder.Ranges([(0xE1, 0xEC), (0xEE, 0xEF)]), Continuation(), Continuation()),
        builder.Sequence(builder.Range(0xED, 0xED), builder.Range(0x80, 0x9F), Continuation()),
        builder.Sequence(builder.Range(0xF0, 0xF0), builder.Range(0x90, 0xBF), Continuation(), Continuation()),
        builder.Sequence(builder.Range(0xF1, 0xF3), Continuation(), Continuation(), Continuation()),
        builder.Sequence(builder.Range(0xF4, 0xF4), builder.Range(0x80, 0x8F), Continuation(), Continuation()));

    /// <summary>A backslash escape; \u escapes name no surrogate (a lone one is not text).</summary>
    public GrammarFragment Escape() => builder.Sequence(
        builder.Literal("\\"),
        builder.Choice(
            builder.Ranges([('"', '"'), ('\\', '\\'), ('/', '/'), ('b', 'b'), ('f', 'f'), ('n', 'n'), ('r', 'r'), ('t', 't')]),
            builder.Sequence(
                builder.Literal("u"),
                builder.Choice(
                    builder.Sequence(builder.Ranges([('0', '9'), ('a', 'c'), ('A', 'C'), ('e', 'f'), ('E', 'F')]), Hex(), Hex(), Hex()),
                    builder.Sequence(builder.Ranges([('d', 'd'), ('D', 'D')]), builder.Range('0', '7'), Hex(), Hex())))));

    public GrammarFragment Hex() => builder.Ranges([('0', '9'), ('a', 'f'), ('A', 'F')]);

    public GrammarFragment AnyString() => builder.Sequence(builder.Literal("\""), builder.Star(StringCharacter()), builder.Literal("\""));

    public GrammarFragment Integer() => builder.Sequence(
        builder.Optional(builder.Literal("-")),
        builder.Choice(
            builder.Literal("0"),
            builder.Sequence(builder.Range('1', '9'), builder.Repeat(Digit, 0, MaxIntegerDigits - 1))));

    public GrammarFragment Number() => builder.Sequence(
        Integer(),
        builder.Optional(builder.Sequence(builder.Literal("."), builder.Repeat(Digit, 1, MaxFractionDigits))),
        builder.Optional(builder.Sequence(
            builder.Ranges([('e', 'e'), ('E', 'E')]),
            builder.Optional(builder.Ranges([('+', '+'), ('-', '-')])),
            builder.Repeat(Digit, 1, MaxExponentDigits))));

    public GrammarFragment Digit() => builder.Range('0', '9');

    public GrammarFragment Boolean() => builder.Choice(builder.Literal("true"), builder.Literal("false"));

    public GrammarFragment Null() => builder.Literal("null");

    /// <summary>Any JSON value (one shared recursive rule).</summary>
    public GrammarFragment AnyValue()
    {
        if (_anyValueRule < 0)
        {
            _anyValueRule = builder.DeclareRule("json-value");
            builder.Define(_anyValueRule, () => builder.Choice(AnyObject(), AnyArray(), AnyString(), Number(), Boolean(), Null()));
        }

        return builder.Call(_anyValueRule);
    }

    /// <summary>Any JSON object.</summary>
    public GrammarFragment AnyObject()
    {
        GrammarFragment Member() => builder.Sequence(AnyString(), builder.Literal(":"), AnyValue());
        return builder.Sequence(
            builder.Literal("{"),
            builder.Optional(builder.Sequence(Member(), builder.Star(builder.Sequence(builder.Literal(","), Member())))),
            builder.Literal("}"));
    }

    public GrammarFragment AnyArray() => builder.Sequence(
        builder.Literal("["),
        builder.Optional(builder.Sequence(AnyValue(), builder.Star(builder.Sequence(builder.Literal(","), AnyValue())))),
        builder.Literal("]"));

    private GrammarFragment Continuation() => builder.Range(0x80, 0xBF);
}
