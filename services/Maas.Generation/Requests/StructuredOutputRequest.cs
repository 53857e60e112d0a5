using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Maas.Grains.Abstractions.Models;
using Maas.Grammar;
using Maas.Infrastructure.OpenAi;
using Maas.Tokenization;

namespace Maas.Generation.Requests;

/// <summary>
/// Reads the structured-output fields of a chat request: <c>response_format</c>, <c>tools</c>, <c>tool_choice</c>,
/// <c>parallel_tool_calls</c> and <c>logit_bias</c>. Schemas are compiled here (the grammar needs no tokenizer), so a
/// schema keyword structured outputs do not support is a 400 naming it before anything is admitted.
/// </summary>
public static partial class StructuredOutputRequest
{
    /// <summary>OpenAI's limit on logit_bias entries.</summary>
    public const int MaxLogitBias = 300;

    public const float MaxBias = 100;

    public static (OutputConstraint? Constraint, bool ToolCallsExpected, ChatMessage? ToolsPrompt) Read(GenerationRequestBody body, GenerationKind kind)
    {
        var format = ReadResponseFormat(body.ResponseFormat);
        var tools = kind == GenerationKind.Chat ? ReadTools(body.Tools) : [];
        var choice = ReadToolChoice(body.ToolChoice, tools);
        if (tools.Count == 0 || choice.Mode == "none")
        {
            return (Compile(format, "response_format"), false, null);
        }

        if (format is not null)
        {
            throw Fail(ApiError.InvalidValue("response_format", "'response_format' together with 'tools' is not supported; set tool_choice to \"none\" or leave one out.", "unsupported_value"));
        }

        var offered = choice.Named is { } name ? tools.Where(t => t.Name == name).ToArray() : [.. tools];
        var constraint = new OutputConstraint
        {
            Kind = OutputConstraintKind.ToolCalls,
            Tools = [.. offered.Select(t => new ToolFunction(t.Name, t.Parameters))],
            ToolCallRequired = choice.Mode != "auto",
            ParallelToolCalls = (body.ParallelToolCalls ?? true) && choice.Named is null,
        };
        return (Compile(constraint, "tools"), true, ToolsPrompt(tools));
    }

    public static Dictionary<int, float>? ReadLogitBias(JsonElement? logitBias)
    {
        if (logitBias is null or { ValueKind: JsonValueKind.Null })
        {
            return null;
        }

        if (logitBias.Value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(ApiError.InvalidValue("logit_bias", "'logit_bias' must be an object mapping token ids to biases.", "invalid_type"));
        }

        var result = new Dictionary<int, float>();
        foreach (var entry in logitBias.Value.EnumerateObject())
        {
            if (!int.TryParse(entry.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                throw Fail(ApiError.InvalidValue("logit_bias", $"'logit_bias' key '{entry.Name}' is not a token id."));
            }

            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetDouble(out var bias) || !double.IsFinite(bias))
            {
                throw Fail(ApiError.InvalidValue("logit_bias", $"'logit_bias' value for token {id} must be a number.", "invalid_type"));
            }

            // Clamped as OpenAI does: beyond ±100 a bias only bans or forces the token.
            result[id] = (float)Math.Clamp(bias, -MaxBias, MaxBias);
            if (result.Count > MaxLogitBias)
            {
                throw Fail(ApiError.InvalidValue("logit_bias", $"'logit_bias' may hold at most {MaxLogitBias} tokens."));
            }
        }

        return result;
    }

    private static OutputConstraint? Compile(OutputConstraint? constraint, string param)
    {
        if (constraint is null)
        {
            return null;
        }

        try
        {
            _ = constraint.Compile();
            return constraint;
        }
        catch (GrammarException ex)
        {
            throw Fail(ApiError.InvalidValue(ex.Param, ex.Message, "unsupported_schema"));
        }
    }

    private static OutputConstraint? ReadResponseFormat(JsonElement? format)
    {
        if (format is null or { ValueKind: JsonValueKind.Null })
        {
            return null;
        }

        var type = format.Value.ValueKind == JsonValueKind.Object && format.Value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
            ? t.GetString()
            : throw Fail(ApiError.InvalidValue("response_format.type", "'response_format' must be an object with a 'type'.", "invalid_type"));
        switch (type)
        {
            case "text":
                return null;
            case "json_object":
                return new OutputConstraint { Kind = OutputConstraintKind.JsonObject };
            case "json_schema":
                if (!format.Value.TryGetProperty("json_schema", out var definition) || definition.ValueKind != JsonValueKind.Object)
                {
                    throw Fail(ApiError.Missing("response_format.json_schema"));
                }

                if (!definition.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || !FunctionName().IsMatch(name.GetString()!))
                {
                    throw Fail(ApiError.InvalidValue("response_format.json_schema.name", "'response_format.json_schema.name' must be 1-64 letters, digits, underscores or dashes."));
                }

                var schema = definition.TryGetProperty("schema", out var s) && s.ValueKind == JsonValueKind.Object
                    ? s.GetRawText()
                    : throw Fail(ApiError.InvalidValue("response_format.json_schema.schema", "'response_format.json_schema.schema' must be a JSON Schema object.", "invalid_type"));
                return new OutputConstraint { Kind = OutputConstraintKind.JsonSchema, Schema = schema };
            default:
                throw Fail(ApiError.InvalidValue("response_format.type", $"Unsupported response_format type '{type}': use text, json_object or json_schema.", "unsupported_value"));
        }
    }

    private static List<(string Name, string? Description, string Parameters)> ReadTools(JsonElement? tools)
    {
        if (tools is null or { ValueKind: JsonValueKind.Null })
        {
            return [];
        }

        if (tools.Value.ValueKind != JsonValueKind.Array)
        {
            throw Fail(ApiError.InvalidValue("tools", "'tools' must be an array.", "invalid_type"));
        }

        if (tools.Value.GetArrayLength() > GrammarCompiler.MaxTools)
        {
            throw Fail(ApiError.InvalidValue("tools", $"'tools' may hold at most {GrammarCompiler.MaxTools} functions."));
        }

        var result = new List<(string, string?, string)>();
        var i = 0;
        foreach (var tool in tools.Value.EnumerateArray())
        {
            var at = $"tools[{i}]";
            if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "function")
            {
                throw Fail(ApiError.InvalidValue($"{at}.type", $"'{at}.type' must be \"function\".", "unsupported_value"));
            }

            if (!tool.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object)
            {
                throw Fail(ApiError.Missing($"{at}.function"));
            }

            var name = function.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
            if (!FunctionName().IsMatch(name))
            {
                throw Fail(ApiError.InvalidValue($"{at}.function.name", $"'{at}.function.name' must be 1-64 letters, digits, underscores or dashes."));
            }

            if (result.Any(r => r.Item1 == name))
            {
                throw Fail(ApiError.InvalidValue($"{at}.function.name", $"The function name '{name}' is declared twice."));
            }

            var description = function.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            var parameters = function.TryGetProperty("parameters", out var p) && p.ValueKind != JsonValueKind.Null
                ? p.ValueKind == JsonValueKind.Object ? p.GetRawText() : throw Fail(ApiError.InvalidValue($"{at}.function.parameters", $"'{at}.function.parameters' must be a JSON Schema object.", "invalid_type"))
                : """{"type":"object","properties":{},"additionalProperties":false}""";
            result.Add((name, description, parameters));
            i++;
        }

        return result;
    }

    private static (string Mode, string? Named) ReadToolChoice(JsonElement? choice, List<(string Name, string? Description, string Parameters)> tools)
    {
        if (choice is null or { ValueKind: JsonValueKind.Null })
        {
            return ("auto", null);
        }

        if (tools.Count == 0)
        {
            throw Fail(ApiError.InvalidValue("tool_choice", "'tool_choice' is only allowed when 'tools' are given."));
        }

        if (choice.Value.ValueKind == JsonValueKind.String)
        {
            var mode = choice.Value.GetString();
            return mode is "none" or "auto" or "required"
                ? (mode, null)
                : throw Fail(ApiError.InvalidValue("tool_choice", $"Unsupported tool_choice '{mode}': use none, auto, required or a function.", "unsupported_value"));
        }

        if (choice.Value.ValueKind == JsonValueKind.Object
            && choice.Value.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object
            && function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
        {
            var named = name.GetString()!;
            return tools.Any(t => t.Name == named)
                ? ("required", named)
                : throw Fail(ApiError.InvalidValue("tool_choice.function.name", $"tool_choice names '{named}', which is not among 'tools'."));
        }

        throw Fail(ApiError.InvalidValue("tool_choice", "'tool_choice' must be none, auto, required or {\"type\": \"function\", \"function\": {\"name\": ...}}.", "invalid_type"));
    }

    /// <summary>
    /// The functions as a system message (DeepSeek's templates do not render tools themselves): name, description and
    /// parameters, and the call format the grammar enforces.
    /// </summary>
    private static ChatMessage ToolsPrompt(List<(string Name, string? Description, string Parameters)> tools)
    {
        var text = new StringBuilder("## Tools\nYou have access to the following functions:\n");
        foreach (var (name, description, parameters) in tools)
        {
            text.Append("\n### ").Append(name).Append('\n');
            if (description is not null)
            {
                text.Append("Description: ").Append(description).Append('\n');
            }

            text.Append("Parameters: ").Append(parameters).Append('\n');
        }

        return new ChatMessage("system", text.ToString());
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex FunctionName();

    private static ApiErrorException Fail(ApiError error) => new(error);
}
