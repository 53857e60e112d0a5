using System.Text;
using System.Text.Json;

namespace Maas.Tokenization;

/// <summary>Renders chat messages into prompt text in a model family's format (DeepSeek V2, V3).</summary>
/// <remarks>
/// Hand-written equivalents of the Jinja chat_template strings in the models' tokenizer_config.json
/// (no Jinja engine). They reproduce the templates character for character, including their quirks,
/// because the models were trained on exactly that text.
/// </remarks>
public sealed class ChatTemplate
{
    private const string V3User = "<｜User｜>";
    private const string V3Assistant = "<｜Assistant｜>";
    private const string V3EndOfSentence = "<｜end▁of▁sentence｜>";
    private const string V3ToolOutputsBegin = "<｜tool▁outputs▁begin｜>";
    private const string V3ToolOutputsEnd = "<｜tool▁outputs▁end｜>";
    private const string V3ToolOutputBegin = "<｜tool▁output▁begin｜>";
    private const string V3ToolOutputEnd = "<｜tool▁output▁end｜>";

    private readonly string _bos;
    private readonly string _eos;

    private ChatTemplate(ChatTemplateFamily family, string bos, string eos)
    {
        Family = family;
        _bos = bos;
        _eos = eos;
    }

    public ChatTemplateFamily Family { get; }

    /// <summary>A template for the family with DeepSeek's BOS/EOS strings unless given.</summary>
    public static ChatTemplate For(ChatTemplateFamily family, string bosToken = "<｜begin▁of▁sentence｜>", string eosToken = V3EndOfSentence)
        => new(family, bosToken, eosToken);

    /// <summary>Picks the family from the folder's config.json (model_type, architectures), else from tokenizer_config.json's chat_template.</summary>
    public static ChatTemplate ForModel(string modelFolder)
    {
        string configPath = Path.Combine(modelFolder, "config.json");
        string tokenizerConfigPath = Path.Combine(modelFolder, "tokenizer_config.json");
        string bos = "<｜begin▁of▁sentence｜>";
        string eos = V3EndOfSentence;
        string? chatTemplate = null;
        if (File.Exists(tokenizerConfigPath))
        {
            using JsonDocument tokenizerConfig = ParseFile(tokenizerConfigPath);
            JsonElement root = tokenizerConfig.RootElement;
            bos = TokenizerConfig.SpecialTokenContent(root, "bos_token") ?? bos;
            eos = TokenizerConfig.SpecialTokenContent(root, "eos_token") ?? eos;
            chatTemplate = root.TryGetProperty("chat_template", out JsonElement t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        }

        ChatTemplateFamily? family = null;
        if (File.Exists(configPath))
        {
            using JsonDocument config = ParseFile(configPath);
            family = FamilyFromConfig(config.RootElement);
        }

        family ??= chatTemplate switch
        {
            null => null,
            _ when chatTemplate.Contains("'Assistant: ' + message['content'] + eos_token", StringComparison.Ordinal) => ChatTemplateFamily.DeepSeekV2,
            _ when chatTemplate.Contains(V3User, StringComparison.Ordinal) && chatTemplate.Contains(V3Assistant, StringComparison.Ordinal) => ChatTemplateFamily.DeepSeekV3,
            _ => null,
        };

        return family is { } f
            ? new ChatTemplate(f, bos, eos)
            : throw new NotSupportedException(
                $"No chat template family recognised in {modelFolder}: config.json model_type/architectures are not deepseek_v2/deepseek_v3 and tokenizer_config.json's chat_template is not a known DeepSeek template.");
    }

    /// <summary>Prompt text including BOS when the family's template writes it.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return Family switch
        {
            ChatTemplateFamily.DeepSeekV2 => RenderV2(messages, addGenerationPrompt),
            ChatTemplateFamily.DeepSeekV3 => RenderV3(messages, addGenerationPrompt),
            _ => throw new InvalidOperationException($"Unknown family {Family}"),
        };
    }

    /// <summary>
    /// DeepSeek-V2(-Lite)-Chat: {{bos}} then per message in order: system → content + "\n\n";
    /// user → "User: " + content + "\n\n"; assistant → "Assistant: " + content + eos; generation
    /// prompt "Assistant:" (no trailing space).
    /// </summary>
    private string RenderV2(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var text = new StringBuilder(_bos);
        foreach (ChatMessage message in messages)
        {
            switch (message.Role)
            {
                case "system":
                    text.Append(message.Content).Append("\n\n");
                    break;
                case "user":
                    text.Append("User: ").Append(message.Content).Append("\n\n");
                    break;
                case "assistant":
                    text.Append("Assistant: ").Append(message.Content).Append(_eos);
                    break;
                default:
                    throw UnknownRole(message.Role, "system, user, assistant");
            }
        }

        if (addGenerationPrompt)
        {
            text.Append("Assistant:");
        }

        return text.ToString();
    }

    /// <summary>
    /// DeepSeek-V3: {{bos}}, then all system contents joined by "\n\n", then per message: user →
    /// "&lt;｜User｜&gt;" + content; assistant → "&lt;｜Assistant｜&gt;" + content + "&lt;｜end▁of▁sentence｜&gt;"
    /// (after tool outputs: "&lt;｜tool▁outputs▁end｜&gt;" + content + eos instead); tool → tool output
    /// blocks. Generation prompt "&lt;｜Assistant｜&gt;" unless the last message was a tool output.
    /// </summary>
    private string RenderV3(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var text = new StringBuilder(_bos);
        bool firstSystem = true;
        foreach (ChatMessage message in messages)
        {
            if (message.Role == "system")
            {
                if (!firstSystem)
                {
                    text.Append("\n\n");
                }

                text.Append(message.Content);
                firstSystem = false;
            }
        }

        bool isTool = false;
        // The template never resets is_output_first, so only the very first tool output opens the block.
        bool isOutputFirst = true;
        foreach (ChatMessage message in messages)
        {
            switch (message.Role)
            {
                case "system":
                    break;
                case "user":
                    isTool = false;
                    text.Append(V3User).Append(message.Content);
                    break;
                case "assistant":
                    text.Append(isTool ? V3ToolOutputsEnd : V3Assistant).Append(message.Content).Append(V3EndOfSentence);
                    isTool = false;
                    break;
                case "tool":
                    isTool = true;
                    text.Append(isOutputFirst ? V3ToolOutputsBegin + V3ToolOutputBegin : "\n" + V3ToolOutputBegin)
                        .Append(message.Content).Append(V3ToolOutputEnd);
                    isOutputFirst = false;
                    break;
                default:
                    throw UnknownRole(message.Role, "system, user, assistant, tool");
            }
        }

        if (isTool)
        {
            text.Append(V3ToolOutputsEnd);
        }

        if (addGenerationPrompt && !isTool)
        {
            text.Append(V3Assistant);
        }

        return text.ToString();
    }

    private ArgumentException UnknownRole(string role, string known)
        => new($"Chat role '{role}' is not supported by the {Family} template (known roles: {known}).", "messages");

    private static ChatTemplateFamily? FamilyFromConfig(JsonElement config)
    {
        string? modelType = config.TryGetProperty("model_type", out JsonElement t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (modelType == "deepseek_v2")
        {
            return ChatTemplateFamily.DeepSeekV2;
        }

        if (modelType == "deepseek_v3")
        {
            return ChatTemplateFamily.DeepSeekV3;
        }

        if (config.TryGetProperty("architectures", out JsonElement architectures) && architectures.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement architecture in architectures.EnumerateArray())
            {
                switch (architecture.GetString())
                {
                    case "DeepseekV2ForCausalLM":
                        return ChatTemplateFamily.DeepSeekV2;
                    case "DeepseekV3ForCausalLM":
                        return ChatTemplateFamily.DeepSeekV3;
                }
            }
        }

        return null;
    }

    private static JsonDocument ParseFile(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
