using Maas.Tokenization;
using Xunit;

namespace Maas.Tokenization.Tests;

/// <summary>
/// Expected strings are written out by hand from the Jinja templates:
/// V2 (DeepSeek-V2-Chat / V2-Lite-Chat tokenizer_config.json):
///   {{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\n\n' }}
///   {% elif message['role'] == 'assistant' %}{{ 'Assistant: ' + message['content'] + eos_token }}
///   {% elif message['role'] == 'system' %}{{ message['content'] + '\n\n' }}{% endif %}{% endfor %}
///   {% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}
/// V3 (infra/models/deepseek-v3-tokenizer/tokenizer_config.json): {{bos_token}}{{system prompts joined by '\n\n'}}, then
///   user → '&lt;｜User｜&gt;' + content, assistant → '&lt;｜Assistant｜&gt;' + content + '&lt;｜end▁of▁sentence｜&gt;',
///   generation prompt '&lt;｜Assistant｜&gt;'.
/// </summary>
public sealed class ChatTemplateTests
{
    private const string Bos = "<｜begin▁of▁sentence｜>";
    private const string Eos = "<｜end▁of▁sentence｜>";

    private static readonly ChatMessage[] Conversation =
    [
        new("system", "You are terse."),
        new("user", "Hi"),
        new("assistant", "Hello."),
        new("user", "Pressure?"),
    ];

    [Fact]
    public void V3_renders_system_first_then_turns()
    {
        string expected = Bos + "You are terse." + "<｜User｜>Hi" + "<｜Assistant｜>Hello." + Eos + "<｜User｜>Pressure?";

        Assert.Equal(expected, ChatTemplate.For(ChatTemplateFamily.DeepSeekV3).Render(Conversation, addGenerationPrompt: false));
    }

    [Fact]
    public void V3_generation_prompt_appends_assistant_tag()
    {
        string expected = Bos + "You are terse." + "<｜User｜>Hi" + "<｜Assistant｜>Hello." + Eos + "<｜User｜>Pressure?" + "<｜Assistant｜>";

        Assert.Equal(expected, ChatTemplate.For(ChatTemplateFamily.DeepSeekV3).Render(Conversation, addGenerationPrompt: true));
    }

    [Fact]
    public void V3_joins_several_system_messages_with_a_blank_line_and_hoists_them()
    {
        ChatMessage[] messages = [new("user", "u"), new("system", "a"), new("system", "b")];

        Assert.Equal(Bos + "a\n\nb<｜User｜>u", ChatTemplate.For(ChatTemplateFamily.DeepSeekV3).Render(messages, false));
    }

    [Fact]
    public void V3_tool_outputs_follow_the_template_blocks()
    {
        // Template: first tool message opens '<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>', later ones start with
        // '\n<｜tool▁output▁begin｜>'; an assistant after tools writes '<｜tool▁outputs▁end｜>' + content + eos;
        // a conversation ending in tool output closes the block and gets no generation prompt.
        ChatMessage[] messages = [new("user", "q"), new("tool", "r1"), new("tool", "r2"), new("assistant", "a")];
        string expected = Bos + "<｜User｜>q" + "<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>r1<｜tool▁output▁end｜>"
            + "\n<｜tool▁output▁begin｜>r2<｜tool▁output▁end｜>" + "<｜tool▁outputs▁end｜>a" + Eos;
        ChatTemplate template = ChatTemplate.For(ChatTemplateFamily.DeepSeekV3);

        Assert.Equal(expected, template.Render(messages, addGenerationPrompt: false));
        Assert.Equal(
            Bos + "<｜User｜>q<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>r1<｜tool▁output▁end｜><｜tool▁outputs▁end｜>",
            template.Render(messages[..2], addGenerationPrompt: true));
    }

    [Fact]
    public void V2_renders_user_and_assistant_prefixes_with_blank_lines()
    {
        string expected = Bos + "You are terse.\n\n" + "User: Hi\n\n" + "Assistant: Hello." + Eos + "User: Pressure?\n\n";

        Assert.Equal(expected, ChatTemplate.For(ChatTemplateFamily.DeepSeekV2).Render(Conversation, addGenerationPrompt: false));
    }

    [Fact]
    public void V2_generation_prompt_has_no_trailing_space()
    {
        string rendered = ChatTemplate.For(ChatTemplateFamily.DeepSeekV2).Render([new("user", "Hi")], addGenerationPrompt: true);

        Assert.Equal(Bos + "User: Hi\n\nAssistant:", rendered);
    }

    [Theory]
    [InlineData(ChatTemplateFamily.DeepSeekV2)]
    [InlineData(ChatTemplateFamily.DeepSeekV3)]
    public void Unknown_role_is_an_argument_error_naming_the_role(ChatTemplateFamily family)
    {
        var error = Assert.Throws<ArgumentException>(() => ChatTemplate.For(family).Render([new("user", "x"), new("wizard", "y")], true));

        Assert.Contains("wizard", error.Message);
    }

    [Fact]
    public void Family_comes_from_the_real_v3_tokenizer_config_chat_template_without_config_json()
    {
        ChatTemplate template = ChatTemplate.ForModel(TokenizerAssets.DeepSeekV3Folder);

        Assert.Equal(ChatTemplateFamily.DeepSeekV3, template.Family);
        Assert.StartsWith(Bos, template.Render([new("user", "x")], true));
    }

    [Theory]
    [InlineData("{\"model_type\": \"deepseek_v2\"}", ChatTemplateFamily.DeepSeekV2)]
    [InlineData("{\"model_type\": \"deepseek_v3\"}", ChatTemplateFamily.DeepSeekV3)]
    [InlineData("{\"architectures\": [\"DeepseekV2ForCausalLM\"]}", ChatTemplateFamily.DeepSeekV2)]
    public void Family_comes_from_config_json_first(string configJson, ChatTemplateFamily expected)
    {
        string folder = Directory.CreateTempSubdirectory("maas-chat-").FullName;
        try
        {
            // The V3 tokenizer_config is present too: config.json must win.
            File.Copy(Path.Combine(TokenizerAssets.DeepSeekV3Folder, "tokenizer_config.json"), Path.Combine(folder, "tokenizer_config.json"));
            File.WriteAllText(Path.Combine(folder, "config.json"), configJson);

            Assert.Equal(expected, ChatTemplate.ForModel(folder).Family);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Unrecognised_folder_is_an_error()
    {
        string folder = Directory.CreateTempSubdirectory("maas-chat-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "config.json"), "{\"model_type\": \"llama\"}");

            Assert.Throws<NotSupportedException>(() => ChatTemplate.ForModel(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Rendered_v3_prompt_encodes_with_bos_and_role_tags_as_single_ids()
    {
        TextTokenizer tokenizer = TokenizerAssets.DeepSeekV3;
        string prompt = ChatTemplate.ForModel(TokenizerAssets.DeepSeekV3Folder).Render([new("user", "Hi")], addGenerationPrompt: true);

        int[] ids = tokenizer.Encode(prompt);

        // BOS comes from the template, so the engine must not add another.
        Assert.Equal(tokenizer.BosTokenId, ids[0]);
        Assert.Equal(tokenizer.TokenId("<｜User｜>"), ids[1]);
        Assert.Equal(tokenizer.TokenId("<｜Assistant｜>"), ids[^1]);
        Assert.Equal(prompt, tokenizer.Decode(ids));
    }
}
