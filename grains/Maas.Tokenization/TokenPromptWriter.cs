using System.Text;

namespace Maas.Tokenization;

/// <summary>
/// The prompt as token ids: text between two control tokens is collected and encoded as one run with
/// <see cref="AddedTokenHandling.AsText"/> (as HF encodes the text between added tokens of the rendered string),
/// control tokens are appended by id.
/// </summary>
internal sealed class TokenPromptWriter(TextTokenizer tokenizer, CancellationToken cancellationToken) : PromptWriter
{
    private readonly List<int> _ids = [];
    private readonly StringBuilder _pending = new();

    public override PromptWriter Text(string text)
    {
        _pending.Append(text);
        return this;
    }

    public override PromptWriter Control(string token)
    {
        Flush();
        int id = tokenizer.TokenId(token) is { } known && tokenizer.IsAddedToken(known)
            ? known
            : throw new InvalidDataException($"The chat template's control token '{token}' is not an added token of this tokenizer.");
        _ids.Add(id);
        return this;
    }

    public int[] ToArray()
    {
        Flush();
        return [.. _ids];
    }

    private void Flush()
    {
        if (_pending.Length > 0)
        {
            tokenizer.Append(_pending.ToString(), AddedTokenHandling.AsText, _ids, cancellationToken);
            _pending.Clear();
        }
    }
}
