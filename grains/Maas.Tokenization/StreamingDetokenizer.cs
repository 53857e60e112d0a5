using System.Buffers;
using System.Text.Unicode;

namespace Maas.Tokenization;

/// <summary>
/// Turns one sequence's token ids, fed one at a time, into text as soon as it is complete. Byte-level
/// tokens can end inside a UTF-8 character (an emoji often spans two or three tokens), so the bytes of
/// an unfinished character are held back until the next token completes them. Concatenating all
/// outputs and <see cref="Flush"/> gives exactly <see cref="TextTokenizer.Decode"/> of the ids.
/// </summary>
/// <remarks>One instance per sequence, not thread-safe. Buffers are allocated once; spans returned are
/// valid until the next call. With <c>skipAddedTokens</c> (what OpenAI-compatible servers do by default), sampled
/// added tokens (BOS/EOS, <c>&lt;｜place▁holder▁no▁N｜&gt;</c>, <c>&lt;｜User｜&gt;</c>, ...) produce no text: they are control
/// tokens, not content.</remarks>
public sealed class StreamingDetokenizer
{
    private readonly TextTokenizer _tokenizer;
    private readonly bool _skipAddedTokens;
    private readonly byte[] _bytes;
    private readonly char[] _chars;
    private int _heldBytes;

    public StreamingDetokenizer(TextTokenizer tokenizer, bool skipAddedTokens = false)
    {
        _tokenizer = tokenizer;
        _skipAddedTokens = skipAddedTokens;
        // Held bytes are at most 3 (an unfinished 4-byte character); one token adds at most MaxTokenByteLength.
        _bytes = new byte[tokenizer.MaxTokenByteLength + 4];
        // UTF-8 never yields more UTF-16 units than bytes, replacement characters included.
        _chars = new char[_bytes.Length];
    }

    /// <summary>Bytes of an unfinished character currently held back.</summary>
    public int HeldBytes => _heldBytes;

    /// <summary>The text that the token completes (possibly empty).</summary>
    public ReadOnlySpan<char> Push(int tokenId)
    {
        if (_skipAddedTokens && _tokenizer.IsAddedToken(tokenId))
        {
            // Bytes held for an unfinished character stay held: the next text token may complete them.
            return [];
        }

        ReadOnlySpan<byte> token = _tokenizer.TokenBytes(tokenId);
        token.CopyTo(_bytes.AsSpan(_heldBytes));
        return Convert(_heldBytes + token.Length, isFinalBlock: false);
    }

    /// <summary>Whatever is still held back, at the end of the sequence; an unfinished character becomes U+FFFD.</summary>
    public ReadOnlySpan<char> Flush() => Convert(_heldBytes, isFinalBlock: true);

    /// <summary>Forget held bytes (the sequence restarts).</summary>
    public void Reset() => _heldBytes = 0;

    private ReadOnlySpan<char> Convert(int byteCount, bool isFinalBlock)
    {
        // Invalid bytes become U+FFFD right away; a valid-but-unfinished tail stays (NeedMoreData) unless final.
        OperationStatus status = Utf8.ToUtf16(
            _bytes.AsSpan(0, byteCount), _chars, out int read, out int written, replaceInvalidSequences: true, isFinalBlock);
        if (status is not (OperationStatus.Done or OperationStatus.NeedMoreData))
        {
            throw new InvalidOperationException($"UTF-8 conversion stopped with {status}.");
        }

        _heldBytes = byteCount - read;
        _bytes.AsSpan(read, _heldBytes).CopyTo(_bytes);
        return _chars.AsSpan(0, written);
    }
}
