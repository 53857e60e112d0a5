using Maas.Checkpoints;
using Maas.Engine.Model;
using Xunit;

namespace Maas.Engine.Tests.Model;

/// <summary>The model's choice between MLA's absorbed and expanded forms, on DeepSeek-V2-Lite's attention shape.</summary>
public sealed class MlaFormChoiceTests
{
    private static readonly ModelConfig V2Lite = ModelConfig.Parse("""
        {"architectures": ["DeepseekV2ForCausalLM"], "vocab_size": 102400, "hidden_size": 2048, "intermediate_size": 10944,
         "num_hidden_layers": 27, "num_attention_heads": 16, "q_lora_rank": null, "kv_lora_rank": 512,
         "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128}
        """);

    [Theory]
    [InlineData(0, 512, true)]      // a prompt's first chunk
    [InlineData(1536, 512, true)]   // a later chunk of a long prompt
    [InlineData(0, 128, true)]
    [InlineData(1024, 256, true)]
    [InlineData(31, 1, false)]      // decode after a 32-token prompt
    [InlineData(8191, 1, false)]    // decode at long context
    [InlineData(1024, 64, false)]   // a short chunk after a long prefix: decompressing the prefix costs more
    [InlineData(1024, 128, false)]
    public void Long_chunks_go_expanded_and_decode_absorbed(int start, int rows, bool expanded) =>
        Assert.Equal(expanded, DeepseekModel.ExpandedIsCheaper(V2Lite, start, rows));
}
