using System.Text.Json;

namespace Maas.Tokenization;

/// <summary>Turns chat messages into a model family's prompt (DeepSeek V2, V3): token ids, or text for display.</summary>
/// <remarks>
/// Hand-written equivalents of the Jinja chat_template strings in the models' tokenizer_config.json
/// (no Jinja engine). They reproduce the templates character for character, including their quirks,
/// because the models were trained on exactly that text. <see cref="Encode"/> emits the template's own control
/// tokens (BOS, <c>&lt;｜User｜&gt;</c>, EOS, ...) by id and encodes everything between them, message content
/// included, with <see cref="AddedTokenHandling.AsText"/>: a control token written inside a message stays text,
/// so a user cannot end the turn, write the assistant's reply or override the system prompt. For content without
/// such strings the ids equal Hugging Face's (the template's text around content is encoded together with it, as
/// HF encodes the rendered string).
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
    private const string V3ToolCallsBegin = "<｜tool▁calls▁begin｜>";
    private const string V3ToolCallsEnd = "<｜tool▁calls▁end｜>";
    private const string V3ToolCallBegin = "<｜tool▁call▁begin｜>";
    private const string V3ToolCallEnd = "<｜tool▁call▁end｜>";
    private const string V3ToolSeparator = "<｜tool▁sep｜>";

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

    /// <summary>Prompt text including BOS when the family's template writes it; for display and tests (the model gets <see cref="Encode"/>).</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var prompt = new TextPromptWriter();
        Write(messages, addGenerationPrompt, prompt);
        return prompt.ToString();
    }

    /// <summary>
    /// The prompt's token ids, BOS included when the family's template writes it: control tokens by id, message
    /// content always as plain text.
    /// </summary>
    /// <exception cref="InvalidDataException">A control token of the template is not an added token of <paramref name="tokenizer"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public int[] Encode(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, TextTokenizer tokenizer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var prompt = new TokenPromptWriter(tokenizer, cancellationToken);
        Write(messages, addGenerationPrompt, prompt);
        return prompt.ToArray();
    }

    private void Write(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, PromptWriter prompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        switch (Family)
        {
            case ChatTemplateFamily.DeepSeekV2:
                WriteV2(messages, addGenerationPrompt, prompt);
                break;
            case ChatTemplateFamily.DeepSeekV3:
                WriteV3(messages, addGenerationPrompt, prompt);
                break;
            default:
                throw new InvalidOperationException($"Unknown family {Family}");
        }
    }

    /// <summary>
    /// DeepSeek-V2(-Lite)-Chat: {{bos}} then per message in order: system → content + "\n\n";
    /// user → "User: " + content + "\n\n"; assistant → "Assistant: " + content + eos; generation
    /// prompt "Assistant:" (no trailing space).
    /// </summary>
    private void WriteV2(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, PromptWriter prompt)
    {
        prompt.Control(_bos);
        foreach (ChatMessage message in messages)
        {
            switch (message.Role)
            {
                case "system":
                    prompt.Text(message.Content).Text("\n\n");
                    break;
                case "user":
                    prompt.Text("User: ").Text(message.Content).Text("\n\n");
                    break;
                case "assistant":
                    prompt.Text("Assistant: ").Text(message.Content);
                    WriteToolCalls(message, prompt);
                    prompt.Control(_eos);
                    break;
                case "tool":
                    // V2's template has no tool turns; DeepSeek-V3's output block (its tokenizer's markers) stands in.
                    prompt.Control(V3ToolOutputsBegin).Control(V3ToolOutputBegin).Text(message.Content).Control(V3ToolOutputEnd).Control(V3ToolOutputsEnd).Text("\n\n");
                    break;
                default:
                    throw UnknownRole(message.Role, "system, user, assistant, tool");
            }
        }

        if (addGenerationPrompt)
        {
            prompt.Text("Assistant:");
        }
    }

    /// <summary>
    /// DeepSeek-V3: {{bos}}, then all system contents joined by "\n\n", then per message: user →
    /// "&lt;｜User｜&gt;" + content; assistant → "&lt;｜Assistant｜&gt;" + content + "&lt;｜end▁of▁sentence｜&gt;"
    /// (after tool outputs: "&lt;｜tool▁outputs▁end｜&gt;" + content + eos instead); tool → tool output
    /// blocks. Generation prompt "&lt;｜Assistant｜&gt;" unless the last message was a tool output.
    /// </summary>
    private void WriteV3(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, PromptWriter prompt)
    {
        prompt.Control(_bos);
        bool firstSystem = true;
        foreach (ChatMessage message in messages)
        {
            if (message.Role == "system")
            {
                if (!firstSystem)
                {
                    prompt.Text("\n\n");
                }

                prompt.Text(message.Content);
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
                    prompt.Control(V3User).Text(message.Content);
                    break;
                case "assistant":
                    prompt.Control(isTool ? V3ToolOutputsEnd : V3Assistant).Text(message.Content);
                    WriteToolCalls(message, prompt);
                    prompt.Control(V3EndOfSentence);
                    isTool = false;
                    break;
                case "tool":
                    isTool = true;
                    if (isOutputFirst)
                    {
                        prompt.Control(V3ToolOutputsBegin);
                    }
                    else
                    {
                        prompt.Text("\n");
                    }

                    prompt.Control(V3ToolOutputBegin).Text(message.Content).Control(V3ToolOutputEnd);
                    isOutputFirst = false;
                    break;
                default:
                    throw UnknownRole(message.Role, "system, user, assistant, tool");
            }
        }

        if (isTool)
        {
            prompt.Control(V3ToolOutputsEnd);
        }

        if (addGenerationPrompt && !isTool)
        {
            prompt.Control(V3Assistant);
        }
    }

    /// <summary>
    /// An assistant turn's tool calls as DeepSeek-V3's template writes them (<c>&lt;｜tool▁calls▁begin｜&gt;</c>, each call
    /// <c>&lt;｜tool▁call▁begin｜&gt;function&lt;｜tool▁sep｜&gt;name\n```json\nargs\n```&lt;｜tool▁call▁end｜&gt;</c>, calls joined by a
    /// newline, <c>&lt;｜tool▁calls▁end｜&gt;</c>). The shipped template writes the closing marker only after a second call
    /// (its is_first flag is never reset); this writes it after every block, the format the model generates.
    /// </summary>
    private static void WriteToolCalls(ChatMessage message, PromptWriter prompt)
    {
        if (message.ToolCalls is not { Count: > 0 } calls)
        {
            return;
        }

        prompt.Control(V3ToolCallsBegin);
        for (var i = 0; i < calls.Count; i++)
        {
            if (i > 0)
            {
                prompt.Text("\n");
            }

            prompt.Control(V3ToolCallBegin).Text("function").Control(V3ToolSeparator)
                .Text(calls[i].Name + "\n```json\n" + calls[i].Arguments + "\n```").Control(V3ToolCallEnd);
        }

        prompt.Control(V3ToolCallsEnd);
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
