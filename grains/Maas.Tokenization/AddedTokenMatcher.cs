namespace Maas.Tokenization;

/// <summary>
/// Finds added tokens (special and non-special, e.g. <c>&lt;｜User｜&gt;</c>) written in text,
/// leftmost first and longest at a position, as Hugging Face's added-vocabulary split does before
/// pre-tokenization. Handled outside Microsoft.ML.Tokenizers so custom pre-tokenizers need no
/// knowledge of them.
/// </summary>
internal sealed class AddedTokenMatcher
{
    /// <summary>Tokens by first char, longest first.</summary>
    private readonly Dictionary<char, (string Content, int Id)[]> _byFirstChar;

    public AddedTokenMatcher(IEnumerable<(string Content, int Id)> tokens)
    {
        var groups = new Dictionary<char, List<(string Content, int Id)>>();
        foreach ((string content, int id) in tokens)
        {
            if (content.Length == 0)
            {
                continue;
            }

            if (!groups.TryGetValue(content[0], out List<(string Content, int Id)>? list))
            {
                groups[content[0]] = list = [];
            }

            list.Add((content, id));
        }

        _byFirstChar = [];
        foreach ((char first, List<(string Content, int Id)> list) in groups)
        {
            list.Sort((a, b) => b.Content.Length.CompareTo(a.Content.Length));
            _byFirstChar[first] = [.. list];
        }
    }

    /// <summary>The first added token at or after <paramref name="start"/>; false if none.</summary>
    public bool TryFindNext(string text, int start, out int index, out int length, out int id)
    {
        for (int i = start; i < text.Length; i++)
        {
            if (!_byFirstChar.TryGetValue(text[i], out (string Content, int Id)[]? candidates))
            {
                continue;
            }

            foreach ((string content, int tokenId) in candidates)
            {
                if (i + content.Length <= text.Length && string.CompareOrdinal(text, i, content, 0, content.Length) == 0)
                {
                    index = i;
                    length = content.Length;
                    id = tokenId;
                    return true;
                }
            }
        }

        index = length = id = -1;
        return false;
    }
}
