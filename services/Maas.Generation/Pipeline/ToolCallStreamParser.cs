using System.Security.Cryptography;
using System.Text;
using Maas.Generation.Responses;
using Maas.Grammar;
using Maas.Tokenization;

namespace Maas.Generation.Pipeline;

/// <summary>
/// Reads DeepSeek tool calls (<see cref="DeepSeekToolCalls"/>) out of a generation token by token: text before the
/// calls block is content; inside it, the markers (special tokens, known by id) delimit each call, the text after
/// the separator is the function name up to the arguments' opening fence, and the arguments stream out as they come,
/// holding back only what could be the closing fence. Updates come out with the tool-call piece instead of text.
/// </summary>
public sealed class ToolCallStreamParser
{
    private readonly int _callsBegin;
    private readonly int _callsEnd;
    private readonly int _callBegin;
    private readonly int _callEnd;
    private readonly int _separator;
    private readonly StringBuilder _segment = new();
    private State _state = State.Content;
    private int _index = -1;
    private int _argumentsSent;
    private string? _pendingName;

    private ToolCallStreamParser(TextTokenizer tokenizer)
    {
        int Id(string marker) => tokenizer.TokenId(marker) ?? -1;
        _callsBegin = Id(DeepSeekToolCalls.CallsBegin);
        _callsEnd = Id(DeepSeekToolCalls.CallsEnd);
        _callBegin = Id(DeepSeekToolCalls.CallBegin);
        _callEnd = Id(DeepSeekToolCalls.CallEnd);
        _separator = Id(DeepSeekToolCalls.Separator);
    }

    private enum State
    {
        Content,
        Calls,
        Type,
        Name,
        Arguments,
        Done,
    }

    /// <summary>Tool calls found so far.</summary>
    public int Calls => _index + 1;

    /// <summary>Whether the tokenizer has every marker of the format (a model without them cannot call tools).</summary>
    public static bool Supports(TextTokenizer tokenizer) => DeepSeekToolCalls.Markers.All(m => tokenizer.TokenId(m) is not null);

    public static ToolCallStreamParser For(TextTokenizer tokenizer) => new(tokenizer);

    public GenerationUpdate Parse(GenerationUpdate update)
    {
        var token = update.TokenId;
        if (_state == State.Content && token != _callsBegin)
        {
            return update;
        }

        ChatToolCallDelta? delta = null;
        if (token == _callsBegin)
        {
            _state = State.Calls;
        }
        else if (token == _callBegin)
        {
            _state = State.Type;
            _segment.Clear();
        }
        else if (token == _separator)
        {
            _state = State.Name;
            _segment.Clear();
        }
        else if (token == _callEnd)
        {
            delta = _state == State.Arguments ? FinishArguments() : null;
            _state = State.Calls;
        }
        else if (token == _callsEnd)
        {
            _state = State.Done;
        }
        else if (_state is State.Name or State.Arguments or State.Type)
        {
            _segment.Append(update.Text);
            delta = Continue();
        }

        // Text of a finished update (held back by the engine) may still complete the arguments.
        if (update.FinishReason is not null && _state == State.Arguments)
        {
            delta = Merge(delta, FinishArguments());
        }

        var finish = update.FinishReason == "stop" && Calls > 0 ? "tool_calls" : update.FinishReason;
        return update with { Text = "", ToolCall = delta, FinishReason = finish };
    }

    private ChatToolCallDelta? Continue()
    {
        if (_state == State.Name)
        {
            var text = _segment.ToString();
            var open = text.IndexOf(DeepSeekToolCalls.ArgumentsOpen, StringComparison.Ordinal);
            if (open < 0)
            {
                return null;
            }

            _pendingName = text[..open];
            _index++;
            _state = State.Arguments;
            _segment.Remove(0, open + DeepSeekToolCalls.ArgumentsOpen.Length);
            _argumentsSent = 0;
            var first = Arguments(final: false);
            return new ChatToolCallDelta(_index, "call_" + RandomNumberGenerator.GetHexString(24, lowercase: true), "function", new ChatFunctionCallDelta(_pendingName, first));
        }

        if (_state == State.Arguments)
        {
            var more = Arguments(final: false);
            return more.Length == 0 ? null : new ChatToolCallDelta(_index, null, null, new ChatFunctionCallDelta(null, more));
        }

        return null;
    }

    private ChatToolCallDelta? FinishArguments()
    {
        var rest = Arguments(final: true);
        _state = State.Calls;
        return rest.Length == 0 ? null : new ChatToolCallDelta(_index, null, null, new ChatFunctionCallDelta(null, rest));
    }

    /// <summary>Argument text not sent yet; all but what could still be the closing fence unless final.</summary>
    private string Arguments(bool final)
    {
        var text = _segment.ToString();
        var end = text.EndsWith(DeepSeekToolCalls.ArgumentsClose, StringComparison.Ordinal) ? text.Length - DeepSeekToolCalls.ArgumentsClose.Length : text.Length;
        if (!final)
        {
            end = Math.Min(end, text.Length - DeepSeekToolCalls.ArgumentsClose.Length);
        }

        if (end <= _argumentsSent)
        {
            return "";
        }

        var piece = text[_argumentsSent..end];
        _argumentsSent = end;
        return piece;
    }

    private static ChatToolCallDelta? Merge(ChatToolCallDelta? first, ChatToolCallDelta? second) =>
        first is null ? second
        : second is null ? first
        : first with { Function = first.Function with { Arguments = first.Function.Arguments + second.Function.Arguments } };
}
