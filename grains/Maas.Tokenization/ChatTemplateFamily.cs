namespace Maas.Tokenization;

/// <summary>Prompt formats with a hand-written renderer in <see cref="ChatTemplate"/>.</summary>
public enum ChatTemplateFamily
{
    /// <summary>DeepSeek-V2(-Lite)-Chat: "User: ...\n\nAssistant: ...&lt;eos&gt;".</summary>
    DeepSeekV2,

    /// <summary>DeepSeek-V3: "&lt;｜User｜&gt;...&lt;｜Assistant｜&gt;...&lt;｜end▁of▁sentence｜&gt;".</summary>
    DeepSeekV3,
}
