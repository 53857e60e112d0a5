using System.Text.Json;

namespace Maas.Tokenization;

/// <summary>Fields of a Hugging Face tokenizer_config.json that both the tokenizer and the chat template read.</summary>
internal static class TokenizerConfig
{
    /// <summary>
    /// The text of a special token field such as "bos_token": either a plain string or an AddedToken
    /// object with "content"; null when absent.
    /// </summary>
    public static string? SpecialTokenContent(JsonElement config, string name)
    {
        if (!config.TryGetProperty(name, out JsonElement value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object when value.TryGetProperty("content", out JsonElement content) => content.GetString(),
            _ => null,
        };
    }

    /// <summary>A boolean field such as "add_bos_token"; null when absent or not a boolean.</summary>
    public static bool? Flag(JsonElement config, string name) =>
        config.TryGetProperty(name, out JsonElement value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : null;
}
