namespace Maas.Tokenization;

/// <summary>
/// Applies a request's stop strings to one sequence's streamed text (OpenAI semantics: generation ends
/// before the first stop string and the stop string itself is never returned). Text that could still
/// be the start of a stop string is held back until it either completes one or diverges.
/// </summary>
/// <remarks>One instance per sequence, not thread-safe. Returned spans are valid until the next call;
/// buffers grow only when a chunk is longer than any before.</remarks>
public sealed class StopSequenceMatcher
{
    private readonly string[] _stops;
    private char[] _held;
    private int _heldLength;
    private char[] _output;

    public StopSequenceMatcher(IReadOnlyList<string> stops)
    {
        ArgumentNullException.ThrowIfNull(stops);
        var kept = new List<string>(stops.Count);
        int longest = 0;
        foreach (string stop in stops)
        {
            // An empty stop string would end every generation before its first character; OpenAI ignores it.
            if (!string.IsNullOrEmpty(stop))
            {
                kept.Add(stop);
                longest = Math.Max(longest, stop.Length);
            }
        }

        _stops = [.. kept];
        _held = new char[Math.Max(16, longest * 2)];
        _output = new char[_held.Length];
    }

    /// <summary>A stop string was found; all later input is ignored.</summary>
    public bool Stopped { get; private set; }

    /// <summary>The stop string that ended generation, or null.</summary>
    public string? MatchedStop { get; private set; }

    /// <summary>Characters currently held back.</summary>
    public int HeldLength => _heldLength;

    /// <summary>Feeds newly generated text; returns the text that may be emitted now.</summary>
    public ReadOnlySpan<char> Process(ReadOnlySpan<char> text)
    {
        if (Stopped)
        {
            return [];
        }

        if (_stops.Length == 0)
        {
            return text;
        }

        EnsureCapacity(_heldLength + text.Length);
        text.CopyTo(_held.AsSpan(_heldLength));
        _heldLength += text.Length;
        ReadOnlySpan<char> held = _held.AsSpan(0, _heldLength);

        // Earliest stop wins; held text never contains a whole stop from before, so searching it all is exact.
        int stopAt = -1;
        foreach (string stop in _stops)
        {
            int index = held.IndexOf(stop.AsSpan(), StringComparison.Ordinal);
            if (index >= 0 && (stopAt < 0 || index < stopAt))
            {
                stopAt = index;
                MatchedStop = stop;
            }
        }

        if (stopAt >= 0)
        {
            Stopped = true;
            held[..stopAt].CopyTo(_output);
            _heldLength = 0;
            return _output.AsSpan(0, stopAt);
        }

        int keep = LongestSuffixThatStartsAStop(held);
        int release = _heldLength - keep;
        held[..release].CopyTo(_output);
        held[release..].CopyTo(_held);
        _heldLength = keep;
        return _output.AsSpan(0, release);
    }

    /// <summary>The held-back text, at the end of generation for another reason (length, EOS).</summary>
    public ReadOnlySpan<char> Flush()
    {
        if (Stopped)
        {
            return [];
        }

        int length = _heldLength;
        _held.AsSpan(0, length).CopyTo(_output);
        _heldLength = 0;
        return _output.AsSpan(0, length);
    }

    /// <summary>Starts over for a new sequence with the same stop strings, keeping the buffers.</summary>
    public void Reset()
    {
        _heldLength = 0;
        Stopped = false;
        MatchedStop = null;
    }

    private int LongestSuffixThatStartsAStop(ReadOnlySpan<char> held)
    {
        int best = 0;
        foreach (string stop in _stops)
        {
            for (int k = Math.Min(held.Length, stop.Length - 1); k > best; k--)
            {
                if (held[^k..].SequenceEqual(stop.AsSpan(0, k)))
                {
                    best = k;
                    break;
                }
            }
        }

        return best;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed > _held.Length)
        {
            int size = Math.Max(needed, _held.Length * 2);
            Array.Resize(ref _held, size);
            _output = new char[size];
        }
    }
}
