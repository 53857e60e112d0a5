using System.Globalization;
using System.Text;
using System.Text.Json;
using Maas.Grains.Abstractions.Models;
using Maas.Infrastructure.OpenAi;
using Maas.Tokenization;

namespace Maas.Generation.Requests;

/// <summary>
/// Checks a generation request, the first stage of the <see cref="Pipeline.GenerationPipeline"/>. Every rejection is
/// a 400 whose <c>param</c> names the offending field; checks that need the model (context length) happen in the
/// pipeline once the model is known.
/// </summary>
public static class GenerationRequestValidator
{
    public const int MaxStopSequences = 4;

    /// <summary>Characters per stop string: the engine compares held-back text against each one on every token.</summary>
    public const int MaxStopSequenceLength = 256;

    /// <summary>OpenAI's own limit on messages per request.</summary>
    public const int MaxMessages = 2048;

    /// <summary>Text parts of one message's content.</summary>
    public const int MaxContentParts = 2048;

    /// <summary>A model id is a name, not a payload (it is echoed back in errors and responses).</summary>
    public const int MaxModelLength = 256;

    public const int MaxTopLogprobs = 20;
    public const int MaxCompletionLogprobs = 5;

    /// <summary>
    /// Checks a parsed JSON body (the HTTP body, an MQTT payload, a batch line's "body"); throws
    /// <see cref="ApiErrorException"/> on a wrong shape, wrong types or invalid values.
    /// </summary>
    public static ValidatedGeneration Validate(JsonElement root, GenerationKind kind, long receivedTimestamp)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ApiErrorException(ApiError.InvalidJson("the body must be a JSON object."));
        }

        // Before anything reads a string: GetString throws on invalid UTF-8 or a lone surrogate escape.
        if (JsonTextCheck.FindMalformedString(root) is { } malformed)
        {
            throw new ApiErrorException(ApiError.InvalidValue(malformed,
                $"'{malformed}' is not valid text: it holds invalid UTF-8 or an unpaired UTF-16 surrogate escape.", "invalid_encoding"));
        }

        UnsupportedParameters.Check(root, kind);
        GenerationRequestBody body;
        try
        {
            body = root.Deserialize<GenerationRequestBody>(OpenAiJson.Options)!;
        }
        catch (JsonException ex)
        {
            var param = ex.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "body";
            throw new ApiErrorException(ApiError.InvalidValue(param, $"Invalid type or out-of-range value for '{param}'.", "invalid_type"));
        }

        return Validate(body, kind) with { ReceivedTimestamp = receivedTimestamp };
    }

    public static ValidatedGeneration Validate(GenerationRequestBody body, GenerationKind kind)
    {
        if (string.IsNullOrEmpty(body.Model))
        {
            throw Fail(ApiError.Missing("model"));
        }

        if (body.Model.Length > MaxModelLength)
        {
            throw Fail(ApiError.InvalidValue("model", $"'model' is longer than {MaxModelLength} characters."));
        }

        IReadOnlyList<ChatMessage> messages = [];
        var prompt = "";
        if (kind == GenerationKind.Chat)
        {
            messages = ReadMessages(body.Messages);
        }
        else
        {
            prompt = ReadPrompt(body.Prompt);
        }

        if (body.N is { } n && n != 1)
        {
            throw Fail(ApiError.InvalidValue("n", "Only n=1 is supported.", "unsupported_value"));
        }

        var (maxTokens, maxTokensParam) = body.MaxCompletionTokens is { } mct ? ((int?)mct, "max_completion_tokens") : (body.MaxTokens, "max_tokens");
        if (maxTokens is < 1)
        {
            throw Fail(ApiError.InvalidValue(maxTokensParam, $"'{maxTokensParam}' must be at least 1."));
        }

        Range("temperature", body.Temperature, 0, 2);
        if (body.TopP is { } topP && (topP <= 0 || topP > 1))
        {
            throw Fail(ApiError.InvalidValue("top_p", "'top_p' must be greater than 0 and at most 1."));
        }

        if (body.TopK is < 0)
        {
            throw Fail(ApiError.InvalidValue("top_k", "'top_k' must be 0 (disabled) or more."));
        }

        Range("presence_penalty", body.PresencePenalty, -2, 2);
        Range("frequency_penalty", body.FrequencyPenalty, -2, 2);
        var stop = ReadStop(body.Stop);
        var (logprobs, topLogprobs) = kind == GenerationKind.Chat ? ReadChatLogprobs(body) : ReadCompletionLogprobs(body);

        var (constraint, toolCallsExpected, toolsPrompt) = StructuredOutputRequest.Read(body, kind);
        var logitBias = StructuredOutputRequest.ReadLogitBias(body.LogitBias);
        if (toolsPrompt is not null)
        {
            messages = [toolsPrompt, .. messages];
        }

        var stream = body.Stream ?? false;
        if (body.StreamOptions is not null && !stream)
        {
            throw Fail(ApiError.InvalidValue("stream_options", "'stream_options' is only allowed when 'stream' is true."));
        }

        return new ValidatedGeneration
        {
            Kind = kind,
            Model = body.Model,
            Messages = messages,
            Prompt = prompt,
            MaxTokens = maxTokens,
            MaxTokensParam = maxTokensParam,
            Sampling = new SamplingOptions
            {
                Temperature = (float)(body.Temperature ?? 1),
                TopP = (float)(body.TopP ?? 1),
                TopK = body.TopK ?? 0,
                Seed = body.Seed,
                PresencePenalty = (float)(body.PresencePenalty ?? 0),
                FrequencyPenalty = (float)(body.FrequencyPenalty ?? 0),
                Logprobs = logprobs,
                TopLogprobs = topLogprobs,
                LogitBias = logitBias,
            },
            Constraint = constraint,
            ToolCallsExpected = toolCallsExpected,
            Stop = stop,
            Stream = stream,
            IncludeUsage = body.StreamOptions?.IncludeUsage ?? false,
            IgnoreEos = body.IgnoreEos ?? false,
            SkipSpecialTokens = body.SkipSpecialTokens ?? true,
        };
    }

    private static List<ChatMessage> ReadMessages(JsonElement? messages)
    {
        if (messages is not { ValueKind: JsonValueKind.Array } array)
        {
            throw Fail(messages is null or { ValueKind: JsonValueKind.Null }
                ? ApiError.Missing("messages")
                : ApiError.InvalidValue("messages", "'messages' must be an array of messages.", "invalid_type"));
        }

        if (array.GetArrayLength() == 0)
        {
            throw Fail(ApiError.InvalidValue("messages", "'messages' must contain at least one message."));
        }

        if (array.GetArrayLength() > MaxMessages)
        {
            throw Fail(ApiError.InvalidValue("messages", $"'messages' holds {array.GetArrayLength()} messages; at most {MaxMessages} are allowed."));
        }

        var result = new List<ChatMessage>();
        var i = 0;
        foreach (var message in array.EnumerateArray())
        {
            var at = $"messages[{i}]";
            if (message.ValueKind != JsonValueKind.Object)
            {
                throw Fail(ApiError.InvalidValue(at, $"'{at}' must be an object.", "invalid_type"));
            }

            var role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : null;
            role = role switch
            {
                "system" or "developer" => "system",
                "user" or "assistant" or "tool" => role,
                null => throw Fail(ApiError.Missing($"{at}.role")),
                _ => throw Fail(ApiError.InvalidValue($"{at}.role", $"Unsupported role '{role}': use system, developer, user, assistant or tool.", "unsupported_value")),
            };
            result.Add(new ChatMessage(role, ReadContent(message, at, role), role == "assistant" ? ReadToolCalls(message, at) : null));
            i++;
        }

        return result;
    }

    /// <summary>An assistant turn's earlier tool calls (history), as the template renders them.</summary>
    private static List<ChatToolCall>? ReadToolCalls(JsonElement message, string at)
    {
        if (!message.TryGetProperty("tool_calls", out var calls) || calls.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (calls.ValueKind != JsonValueKind.Array || calls.GetArrayLength() > MaxContentParts)
        {
            throw Fail(ApiError.InvalidValue($"{at}.tool_calls", $"'{at}.tool_calls' must be an array of tool calls.", "invalid_type"));
        }

        var result = new List<ChatToolCall>();
        var i = 0;
        foreach (var call in calls.EnumerateArray())
        {
            var param = $"{at}.tool_calls[{i++}]";
            if (call.ValueKind != JsonValueKind.Object
                || !call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                || !function.TryGetProperty("arguments", out var arguments) || arguments.ValueKind != JsonValueKind.String)
            {
                throw Fail(ApiError.InvalidValue(param, $"'{param}' must be {{\"type\": \"function\", \"function\": {{\"name\": ..., \"arguments\": \"...\"}}}}.", "invalid_type"));
            }

            result.Add(new ChatToolCall(name.GetString()!, arguments.GetString()!));
        }

        return result;
    }

    private static string ReadContent(JsonElement message, string at, string role)
    {
        var param = $"{at}.content";
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            // An assistant turn may have no content (OpenAI allows it with tool calls); any other role needs text.
            return role == "assistant" ? "" : throw Fail(ApiError.Missing(param));
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw Fail(ApiError.InvalidValue(param, $"'{param}' must be a string or an array of text parts.", "invalid_type"));
        }

        if (content.GetArrayLength() > MaxContentParts)
        {
            throw Fail(ApiError.InvalidValue(param, $"'{param}' holds more than {MaxContentParts} parts."));
        }

        var text = new StringBuilder();
        var j = 0;
        foreach (var part in content.EnumerateArray())
        {
            var partParam = $"{param}[{j}]";
            if (part.ValueKind != JsonValueKind.Object
                || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "text"
                || !part.TryGetProperty("text", out var partText) || partText.ValueKind != JsonValueKind.String)
            {
                throw Fail(ApiError.InvalidValue(partParam, $"'{partParam}' must be {{\"type\": \"text\", \"text\": \"...\"}}; only text content is supported.", "unsupported_value"));
            }

            if (j > 0)
            {
                text.Append('\n');
            }

            text.Append(partText.GetString());
            j++;
        }

        return text.ToString();
    }

    private static string ReadPrompt(JsonElement? prompt)
    {
        switch (prompt)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                throw Fail(ApiError.Missing("prompt"));
            case { ValueKind: JsonValueKind.String } s:
                return s.GetString()!;
            case { ValueKind: JsonValueKind.Array } a when a.GetArrayLength() == 1 && a[0].ValueKind == JsonValueKind.String:
                return a[0].GetString()!;
            case { ValueKind: JsonValueKind.Array }:
                throw Fail(ApiError.InvalidValue("prompt", "'prompt' must be a string or an array of exactly one string; token arrays and batches are not supported.", "unsupported_value"));
            default:
                throw Fail(ApiError.InvalidValue("prompt", "'prompt' must be a string.", "invalid_type"));
        }
    }

    private static string[] ReadStop(JsonElement? stop)
    {
        switch (stop)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return [];
            case { ValueKind: JsonValueKind.String } s:
                return [StopSequence(s, "stop")];
            case { ValueKind: JsonValueKind.Array } a:
                if (a.GetArrayLength() > MaxStopSequences)
                {
                    throw Fail(ApiError.InvalidValue("stop", $"'stop' may hold at most {MaxStopSequences} sequences."));
                }

                var stops = new string[a.GetArrayLength()];
                for (var i = 0; i < stops.Length; i++)
                {
                    stops[i] = a[i].ValueKind == JsonValueKind.String
                        ? StopSequence(a[i], $"stop[{i}]")
                        : throw Fail(ApiError.InvalidValue($"stop[{i}]", "'stop' must be a string or an array of non-empty strings.", "invalid_type"));
                }

                return stops;
            default:
                throw Fail(ApiError.InvalidValue("stop", "'stop' must be a string or an array of strings.", "invalid_type"));
        }
    }

    private static string StopSequence(JsonElement stop, string param)
    {
        var text = stop.GetString()!;
        return text.Length switch
        {
            0 => throw Fail(ApiError.InvalidValue(param, "'stop' sequences must not be empty.")),
            > MaxStopSequenceLength => throw Fail(ApiError.InvalidValue(param, $"'stop' sequences may be at most {MaxStopSequenceLength} characters long.")),
            _ => text,
        };
    }

    private static (bool Logprobs, int TopLogprobs) ReadChatLogprobs(GenerationRequestBody body)
    {
        var logprobs = body.Logprobs switch
        {
            null or { ValueKind: JsonValueKind.Null } => false,
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            _ => throw Fail(ApiError.InvalidValue("logprobs", "'logprobs' must be a boolean.", "invalid_type")),
        };
        if (body.TopLogprobs is { } top)
        {
            if (top is < 0 or > MaxTopLogprobs)
            {
                throw Fail(ApiError.InvalidValue("top_logprobs", $"'top_logprobs' must be between 0 and {MaxTopLogprobs}."));
            }

            if (!logprobs)
            {
                throw Fail(ApiError.InvalidValue("top_logprobs", "'top_logprobs' requires 'logprobs' to be true."));
            }
        }

        return (logprobs, body.TopLogprobs ?? 0);
    }

    private static (bool Logprobs, int TopLogprobs) ReadCompletionLogprobs(GenerationRequestBody body)
    {
        switch (body.Logprobs)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return (false, 0);
            case { ValueKind: JsonValueKind.Number } n when n.TryGetInt32(out var count):
                return count is >= 0 and <= MaxCompletionLogprobs
                    ? (true, count)
                    : throw Fail(ApiError.InvalidValue("logprobs", $"'logprobs' must be between 0 and {MaxCompletionLogprobs}."));
            default:
                throw Fail(ApiError.InvalidValue("logprobs", "'logprobs' must be an integer.", "invalid_type"));
        }
    }

    private static void Range(string param, double? value, double min, double max)
    {
        if (value is { } v && (v < min || v > max))
        {
            throw Fail(ApiError.InvalidValue(param, string.Create(CultureInfo.InvariantCulture, $"'{param}' must be between {min} and {max}.")));
        }
    }

    private static ApiErrorException Fail(ApiError error) => new(error);
}
