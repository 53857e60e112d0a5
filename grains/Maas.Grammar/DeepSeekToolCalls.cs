namespace Maas.Grammar;

/// <summary>
/// DeepSeek-V3's tool-call format, as its chat template (tokenizer_config.json) writes assistant tool calls:
/// <c>&lt;｜tool▁calls▁begin｜&gt;&lt;｜tool▁call▁begin｜&gt;function&lt;｜tool▁sep｜&gt;NAME\n```json\nARGUMENTS\n```&lt;｜tool▁call▁end｜&gt;</c>,
/// further calls each after a newline, then <c>&lt;｜tool▁calls▁end｜&gt;</c>. The markers are single special tokens.
/// </summary>
public static class DeepSeekToolCalls
{
    public const string CallsBegin = "<｜tool▁calls▁begin｜>";
    public const string CallsEnd = "<｜tool▁calls▁end｜>";
    public const string CallBegin = "<｜tool▁call▁begin｜>";
    public const string CallEnd = "<｜tool▁call▁end｜>";
    public const string Separator = "<｜tool▁sep｜>";

    /// <summary>Between the separator and the arguments: the name, then this.</summary>
    public const string ArgumentsOpen = "\n```json\n";

    /// <summary>After the arguments, before <see cref="CallEnd"/>.</summary>
    public const string ArgumentsClose = "\n```";

    /// <summary>The type written before the separator (the template writes the tool's type).</summary>
    public const string FunctionType = "function";

    /// <summary>Every marker the format needs from a tokenizer.</summary>
    public static IReadOnlyList<string> Markers { get; } = [CallsBegin, CallsEnd, CallBegin, CallEnd, Separator];
}
