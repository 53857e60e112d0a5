using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Maas.Tokenization;

/// <summary>
/// The parts of a Hugging Face tokenizer.json that a byte-level BPE with a Split-sequence
/// pre-tokenizer needs. Anything else (another model type, a normalizer, other pre-tokenizers) is
/// rejected rather than silently mis-tokenized.
/// </summary>
internal sealed class TokenizerJson
{
    private TokenizerJson()
    {
    }

    public List<KeyValuePair<string, int>> Vocabulary { get; } = [];

    public List<string> Merges { get; } = [];

    public List<AddedToken> AddedTokens { get; } = [];

    /// <summary>The Split steps' patterns in Rust regex syntax, in order.</summary>
    public List<string> SplitPatterns { get; } = [];

    private Dictionary<string, int> AddedIds { get; } = new(StringComparer.Ordinal);

    private Dictionary<string, int>? VocabularyIds { get; set; }

    public static TokenizerJson Read(byte[] utf8Json)
    {
        using JsonDocument document = JsonDocument.Parse(utf8Json);
        JsonElement root = document.RootElement;
        var result = new TokenizerJson();

        JsonElement model = root.GetProperty("model");
        string? type = model.TryGetProperty("type", out JsonElement t) ? t.GetString() : "BPE";
        if (type != "BPE")
        {
            throw new NotSupportedException($"model.type '{type}' is not supported (BPE only)");
        }

        foreach (JsonProperty entry in model.GetProperty("vocab").EnumerateObject())
        {
            result.Vocabulary.Add(new KeyValuePair<string, int>(entry.Name, entry.Value.GetInt32()));
        }

        foreach (JsonElement merge in model.GetProperty("merges").EnumerateArray())
        {
            // Older files write "a b", newer ones ["a", "b"].
            result.Merges.Add(merge.ValueKind == JsonValueKind.Array
                ? merge[0].GetString() + " " + merge[1].GetString()
                : merge.GetString() ?? throw new InvalidDataException("null merge"));
        }

        if (root.TryGetProperty("added_tokens", out JsonElement added) && added.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement token in added.EnumerateArray())
            {
                var entry = new AddedToken(
                    token.GetProperty("content").GetString() ?? throw new InvalidDataException("added token without content"),
                    token.GetProperty("id").GetInt32(),
                    token.TryGetProperty("special", out JsonElement special) && special.ValueKind == JsonValueKind.True);
                result.AddedTokens.Add(entry);
                result.AddedIds[entry.Content] = entry.Id;
            }
        }

        if (root.TryGetProperty("normalizer", out JsonElement normalizer) && normalizer.ValueKind != JsonValueKind.Null
            && !(normalizer.GetProperty("type").GetString() == "Sequence" && normalizer.GetProperty("normalizers").GetArrayLength() == 0))
        {
            throw new NotSupportedException($"normalizer {normalizer.GetRawText()} is not supported");
        }

        result.ReadPreTokenizer(root.GetProperty("pre_tokenizer"));
        return result;
    }

    /// <summary>Id of an added token or vocabulary string.</summary>
    public int? IdOf(string token)
    {
        if (AddedIds.TryGetValue(token, out int id))
        {
            return id;
        }

        VocabularyIds ??= new Dictionary<string, int>(Vocabulary, StringComparer.Ordinal);
        return VocabularyIds.TryGetValue(token, out id) ? id : null;
    }

    /// <summary>Every id's bytes: added tokens as UTF-8 of their content, vocabulary strings through the byte-level alphabet.</summary>
    public (byte[] Bytes, int[] Starts, bool[] Special, int MaxLength) BuildByteTable()
    {
        int size = 0;
        foreach (KeyValuePair<string, int> entry in Vocabulary)
        {
            size = Math.Max(size, entry.Value + 1);
        }

        foreach (AddedToken token in AddedTokens)
        {
            size = Math.Max(size, token.Id + 1);
        }

        var perId = new byte[size][];
        var special = new bool[size];
        var scratch = new List<byte>(64);
        foreach (KeyValuePair<string, int> entry in Vocabulary)
        {
            scratch.Clear();
            perId[entry.Value] = ByteLevelAlphabet.TryAppendBytes(entry.Key, scratch)
                ? [.. scratch]
                : Encoding.UTF8.GetBytes(entry.Key);
        }

        // Added tokens win: ids 0..2 are in both tables, spelled as plain text.
        foreach (AddedToken token in AddedTokens)
        {
            perId[token.Id] = Encoding.UTF8.GetBytes(token.Content);
            special[token.Id] = token.Special;
        }

        var starts = new int[size + 1];
        int total = 0;
        int maxLength = 0;
        for (int id = 0; id < size; id++)
        {
            starts[id] = total;
            int length = perId[id]?.Length ?? 0;
            total += length;
            maxLength = Math.Max(maxLength, length);
        }

        starts[size] = total;
        var bytes = new byte[total];
        for (int id = 0; id < size; id++)
        {
            perId[id]?.CopyTo(bytes, starts[id]);
        }

        return (bytes, starts, special, maxLength);
    }

    private void ReadPreTokenizer(JsonElement preTokenizer)
    {
        string? type = preTokenizer.GetProperty("type").GetString();
        if (type == "Sequence")
        {
            foreach (JsonElement step in preTokenizer.GetProperty("pretokenizers").EnumerateArray())
            {
                ReadPreTokenizer(step);
            }

            return;
        }

        if (type == "ByteLevel")
        {
            bool useRegex = !preTokenizer.TryGetProperty("use_regex", out JsonElement r) || r.ValueKind == JsonValueKind.True;
            bool prefixSpace = preTokenizer.TryGetProperty("add_prefix_space", out JsonElement p) && p.ValueKind == JsonValueKind.True;
            if (useRegex || prefixSpace)
            {
                throw new NotSupportedException("ByteLevel pre-tokenizer with use_regex or add_prefix_space is not supported");
            }

            return;
        }

        if (type != "Split")
        {
            throw new NotSupportedException($"pre-tokenizer '{type}' is not supported");
        }

        string? behavior = preTokenizer.GetProperty("behavior").GetString();
        bool invert = preTokenizer.TryGetProperty("invert", out JsonElement inv) && inv.ValueKind == JsonValueKind.True;
        if (behavior != "Isolated" || invert)
        {
            throw new NotSupportedException($"Split behavior '{behavior}' (invert {invert}) is not supported");
        }

        JsonElement pattern = preTokenizer.GetProperty("pattern");
        SplitPatterns.Add(pattern.TryGetProperty("Regex", out JsonElement regex)
            ? regex.GetString()!
            : Regex.Escape(pattern.GetProperty("String").GetString()!));
    }
}
