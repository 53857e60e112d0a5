using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Maas.Tokenization;

/// <summary>Byte-level BPE tokenizer read from a model folder's tokenizer.json and tokenizer_config.json.</summary>
/// <remarks>
/// Encoding: added tokens written in the text are cut out first (<see cref="AddedTokenMatcher"/>; not with
/// <see cref="AddedTokenHandling.AsText"/>), the rest is cut into pieces by the model's Split pre-tokenizer sequence
/// (<see cref="SplitSequencePreTokenizer"/>) and each piece is merged by Microsoft.ML.Tokenizers'
/// <see cref="BpeTokenizer"/>, or by <see cref="LongPieceBpe"/> when it is longer than
/// <see cref="LibraryPieceLength"/> characters (the library is quadratic in a piece's length). Every step is
/// linear or n log n in the text, and a cancellation token stops long work. Decoding does not use the library:
/// every id's bytes are precomputed, so decoding is concatenation plus lossy UTF-8, exactly as the
/// ByteLevel decoder of tokenizer.json. Thread-safe after <see cref="Load"/>.
/// </remarks>
public sealed class TextTokenizer
{
    /// <summary>Pieces longer than this many characters are merged by <see cref="LongPieceBpe"/>, shorter ones by the library.</summary>
    internal const int LibraryPieceLength = 128;

    /// <summary>How many pieces are encoded between two looks at the cancellation token.</summary>
    private const int CancellationCheckInterval = 256;

    private readonly BpeTokenizer _bpe;
    private readonly SplitSequencePreTokenizer _preTokenizer;
    private readonly LongPieceBpe _longPieces;
    private readonly AddedTokenMatcher _addedTokens;

    /// <summary>All ids' bytes back to back; id i spans [_byteStart[i], _byteStart[i + 1]).</summary>
    private readonly byte[] _tokenBytes;
    private readonly int[] _byteStart;
    private readonly bool[] _isSpecial;
    private readonly bool[] _isAdded;

    private TextTokenizer(
        BpeTokenizer bpe, SplitSequencePreTokenizer preTokenizer, LongPieceBpe longPieces, AddedTokenMatcher addedTokens,
        byte[] tokenBytes, int[] byteStart, bool[] isSpecial, bool[] isAdded, int bosTokenId, IReadOnlyList<int> eosTokenIds, bool addBosToken)
    {
        _bpe = bpe;
        _preTokenizer = preTokenizer;
        _longPieces = longPieces;
        _addedTokens = addedTokens;
        _isAdded = isAdded;
        _tokenBytes = tokenBytes;
        _byteStart = byteStart;
        _isSpecial = isSpecial;
        VocabSize = byteStart.Length - 1;
        BosTokenId = bosTokenId;
        EosTokenIds = eosTokenIds;
        AddBosToken = addBosToken;
    }

    /// <summary>Highest id (vocabulary or added token) plus one.</summary>
    public int VocabSize { get; }

    public int BosTokenId { get; }

    public IReadOnlyList<int> EosTokenIds { get; } = [];

    /// <summary>Whether prompts start with BOS (tokenizer_config.json add_bos_token).</summary>
    public bool AddBosToken { get; }

    /// <summary>Longest byte length of any single token; sizes streaming buffers.</summary>
    public int MaxTokenByteLength { get; private init; }

    public static TextTokenizer Load(string modelFolder)
    {
        string tokenizerPath = Path.Combine(modelFolder, "tokenizer.json");
        string configPath = Path.Combine(modelFolder, "tokenizer_config.json");
        if (!File.Exists(tokenizerPath))
        {
            throw new FileNotFoundException($"Tokenizer file not found: {tokenizerPath}", tokenizerPath);
        }

        if (!File.Exists(configPath))
        {
            throw new FileNotFoundException($"Tokenizer config file not found: {configPath}", configPath);
        }

        TokenizerJson model;
        try
        {
            model = TokenizerJson.Read(File.ReadAllBytes(tokenizerPath));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            throw new InvalidDataException($"{tokenizerPath}: {e.Message}", e);
        }

        string? bos;
        string? eos;
        bool addBos;
        try
        {
            using JsonDocument config = JsonDocument.Parse(File.ReadAllBytes(configPath));
            bos = TokenizerConfig.SpecialTokenContent(config.RootElement, "bos_token");
            eos = TokenizerConfig.SpecialTokenContent(config.RootElement, "eos_token");
            addBos = TokenizerConfig.Flag(config.RootElement, "add_bos_token") == true;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{configPath}: {e.Message}", e);
        }

        int bosId = bos is null ? -1 : model.IdOf(bos) ?? throw new InvalidDataException($"{configPath}: bos_token '{bos}' is not in {tokenizerPath}");
        int eosId = eos is null
            ? throw new InvalidDataException($"{configPath}: eos_token is missing")
            : model.IdOf(eos) ?? throw new InvalidDataException($"{configPath}: eos_token '{eos}' is not in {tokenizerPath}");

        BpeTokenizer bpe;
        SplitSequencePreTokenizer preTokenizer;
        LongPieceBpe longPieces;
        try
        {
            preTokenizer = new SplitSequencePreTokenizer(model.SplitPatterns);
            bpe = BpeTokenizer.Create(new BpeOptions(model.Vocabulary)
            {
                Merges = model.Merges,
                ByteLevel = true,
                PreTokenizer = preTokenizer,
            });
            longPieces = LongPieceBpe.Create(model.Vocabulary, model.Merges);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KeyNotFoundException or FormatException or NotSupportedException or InvalidDataException)
        {
            throw new InvalidDataException($"{tokenizerPath}: {e.Message}", e);
        }

        (byte[] bytes, int[] starts, bool[] special, int maxLength) = model.BuildByteTable();
        var added = new bool[starts.Length - 1];
        foreach (AddedToken token in model.AddedTokens)
        {
            added[token.Id] = true;
        }

        return new TextTokenizer(
            bpe, preTokenizer, longPieces, new AddedTokenMatcher(model.AddedTokens.Select(a => (a.Content, a.Id))), bytes, starts, special, added,
            bosId, [eosId], addBos)
        {
            MaxTokenByteLength = maxLength,
        };
    }

    /// <summary>Ids for trusted text: added and special tokens written in it are recognised; BOS is not added.</summary>
    public int[] Encode(string text) => Encode(text, AddedTokenHandling.Recognize);

    /// <summary>Ids for the text; <paramref name="addedTokens"/> says whether added-token strings in it become control tokens. BOS is not added.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled (checked between pieces and inside long ones).</exception>
    public int[] Encode(string text, AddedTokenHandling addedTokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        Append(text, addedTokens, ids, cancellationToken);
        return [.. ids];
    }

    /// <summary>Appends the ids of <paramref name="text"/> to <paramref name="ids"/> (see <see cref="Encode(string, AddedTokenHandling, CancellationToken)"/>).</summary>
    public void Append(string text, AddedTokenHandling addedTokens, List<int> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(ids);
        if (addedTokens == AddedTokenHandling.AsText)
        {
            AppendText(text, ids, cancellationToken);
            return;
        }

        int position = 0;
        while (position < text.Length)
        {
            bool found = _addedTokens.TryFindNext(text, position, out int index, out int length, out int id);
            int end = found ? index : text.Length;
            if (end > position)
            {
                AppendText(position == 0 && end == text.Length ? text : text[position..end], ids, cancellationToken);
            }

            if (!found)
            {
                break;
            }

            ids.Add(id);
            position = index + length;
        }
    }

    /// <summary>
    /// The library's own encoding of plain text (its pre-tokenization and merges for every piece, however long):
    /// the reference <see cref="AppendText"/> is checked against. Quadratic in a piece's length; tests only.
    /// </summary>
    internal int[] EncodeWithLibraryOnly(string text) => [.. _bpe.EncodeToIds(text, considerPreTokenization: true, considerNormalization: false)];

    /// <summary>One piece through <see cref="LongPieceBpe"/> whatever its length; tests only.</summary>
    internal int[] EncodeWithLongPieceBpe(string piece)
    {
        var ids = new List<int>();
        _longPieces.Encode(piece, ids, CancellationToken.None);
        return [.. ids];
    }

    /// <summary>Pre-tokenizes plain text and merges each piece.</summary>
    private void AppendText(string text, List<int> ids, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        List<(int Offset, int Length)> pieces = _preTokenizer.Split(text);
        for (int i = 0; i < pieces.Count; i++)
        {
            (int offset, int length) = pieces[i];
            ReadOnlySpan<char> piece = text.AsSpan(offset, length);
            if (length > LibraryPieceLength)
            {
                cancellationToken.ThrowIfCancellationRequested();
                _longPieces.Encode(piece, ids, cancellationToken);
            }
            else
            {
                if (i % CancellationCheckInterval == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                ids.AddRange(_bpe.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false));
            }
        }
    }

    /// <summary>Text of the ids; bytes that are not valid UTF-8 become U+FFFD.</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        int total = 0;
        foreach (int id in ids)
        {
            total += TokenBytes(id).Length;
        }

        byte[] buffer = new byte[total];
        int written = 0;
        foreach (int id in ids)
        {
            ReadOnlySpan<byte> bytes = TokenBytes(id);
            bytes.CopyTo(buffer.AsSpan(written));
            written += bytes.Length;
        }

        return Encoding.UTF8.GetString(buffer);
    }

    /// <summary>The raw bytes a token stands for (may be part of a UTF-8 character).</summary>
    public ReadOnlySpan<byte> TokenBytes(int id)
    {
        if ((uint)id >= (uint)VocabSize)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id outside the vocabulary (0..{VocabSize - 1}).");
        }

        return _tokenBytes.AsSpan(_byteStart[id], _byteStart[id + 1] - _byteStart[id]);
    }

    /// <summary>A token's own text for display (logprobs); partial UTF-8 shows as U+FFFD.</summary>
    public string TokenText(int id) => Encoding.UTF8.GetString(TokenBytes(id));

    /// <summary>Whether the id is an added token marked special (BOS, EOS, pad, ...).</summary>
    public bool IsSpecial(int id) => (uint)id < (uint)VocabSize && _isSpecial[id];

    /// <summary>
    /// Whether the id is any added token, special or not (DeepSeek-V3: the 804 special ones and the 14 chat, tool and
    /// fill-in-the-middle markers such as <c>&lt;｜User｜&gt;</c>): control tokens, never plain text.
    /// </summary>
    public bool IsAddedToken(int id) => (uint)id < (uint)VocabSize && _isAdded[id];

    /// <summary>The id of a vocabulary or added token string (vocabulary strings in byte-level form); null if unknown.</summary>
    public int? TokenId(string token)
    {
        if (_addedTokens.TryFindNext(token, 0, out int index, out int length, out int id) && index == 0 && length == token.Length)
        {
            return id;
        }

        return _bpe.Vocabulary.TryGetValue(token, out int vocabId) ? vocabId : null;
    }
}
