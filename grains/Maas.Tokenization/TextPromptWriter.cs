using System.Text;

namespace Maas.Tokenization;

/// <summary>The prompt as one string, control tokens written out (what the Jinja template renders).</summary>
internal sealed class TextPromptWriter : PromptWriter
{
    private readonly StringBuilder _text = new();

    public override PromptWriter Text(string text)
    {
        _text.Append(text);
        return this;
    }

    public override PromptWriter Control(string token)
    {
        _text.Append(token);
        return this;
    }

    public override string ToString() => _text.ToString();
}
