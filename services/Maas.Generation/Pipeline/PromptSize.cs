using System.Text;
using Maas.Generation.Requests;

namespace Maas.Generation.Pipeline;

/// <summary>
/// What a prompt costs at most, known without tokenizing it: its length in characters and an upper bound on its
/// tokens. Every token of byte-level BPE covers at least one UTF-8 byte (a control token written as text is bytes
/// too), so the UTF-8 length bounds the text's tokens; the chat template adds at most
/// <see cref="TemplateTokensPerMessage"/> of its own per message, and the prompt starts with BOS.
/// </summary>
public readonly record struct PromptSize(long Characters, long TokenBound)
{
    /// <summary>
    /// The most tokens DeepSeek's templates add around one message ("Assistant: " + EOS in V2 is 12 bytes; V3 adds at
    /// most 3 control tokens), and around the whole prompt (BOS, the generation prompt "Assistant:").
    /// </summary>
    public const int TemplateTokensPerMessage = 16;

    public static PromptSize Of(ValidatedGeneration request)
    {
        if (request.Kind != GenerationKind.Chat)
        {
            return new PromptSize(request.Prompt.Length, 1 + Encoding.UTF8.GetByteCount(request.Prompt));
        }

        long characters = 0;
        long bytes = TemplateTokensPerMessage;
        foreach (var message in request.Messages)
        {
            characters += message.Content.Length;
            bytes += Encoding.UTF8.GetByteCount(message.Content) + TemplateTokensPerMessage;
            foreach (var call in message.ToolCalls ?? [])
            {
                // Name, arguments and the call's own markers and fences.
                characters += call.Name.Length + call.Arguments.Length;
                bytes += Encoding.UTF8.GetByteCount(call.Name) + Encoding.UTF8.GetByteCount(call.Arguments) + TemplateTokensPerMessage;
            }
        }

        return new PromptSize(characters, bytes);
    }
}
