using Maas.Checkpoints;
using Maas.Checkpoints.FineTunes;
using Maas.Engine.Tests.TestSupport;
using Maas.Engine.Tools.Checkpoints;
using Xunit;

namespace Maas.Engine.Tests.Checkpoints;

/// <summary>An ESFT fine-tune is checked against its base model, and every bad artifact is refused naming what is wrong.</summary>
public sealed class FineTuneManifestTests
{
    private static readonly string BaseFolder = GoldenFolder.Load("deepseek2-tiny-a").Path;
    private static readonly ModelConfig Base = ModelConfig.Load(BaseFolder);

    [Theory]
    [InlineData("model.")]
    [InlineData("")]
    public void A_fine_tune_named_with_or_without_the_model_prefix_is_accepted(string prefix)
    {
        string folder = Write(new() { [1] = [0, 5], [2] = [7] }, prefix);
        FineTuneManifest manifest = FineTuneManifest.Validate(folder, Base);
        Assert.Equal(3, manifest.ExpertCount);
        Assert.Equal([1, 2], manifest.Experts.Keys);
        Assert.Equal(9, manifest.StoredNames.Count);
        Assert.Equal(prefix + "layers.1.mlp.experts.5.up_proj.weight", manifest.StoredNames["model.layers.1.mlp.experts.5.up_proj.weight"]);
        Assert.Equal(3 * 3 * 64 * 128 * 2, manifest.WeightBytes);
    }

    [Theory]
    [InlineData("{\"experts\": {\"0\": [1]}}", "layer '0' is not a MoE layer")]
    [InlineData("{\"experts\": {\"3\": [1]}}", "layer '3' is not a MoE layer")]
    [InlineData("{\"experts\": {\"1\": [8]}}", "lists expert 8")]
    [InlineData("{\"experts\": {\"1\": [2, 2]}}", "expert 2 twice")]
    [InlineData("{\"experts\": {}}", "lists no experts")]
    [InlineData("{\"experts\": {\"1\": [0]}, \"shared_experts\": true}", "shared experts are not supported")]
    [InlineData("{\"experts\": {\"1\": [0]}, \"non_expert_modules\": true}", "non-expert modules")]
    [InlineData("[1, 2]", "must be a JSON object")]
    [InlineData("{\"experts\": ", "not valid JSON")]
    public void A_bad_expert_cfg_is_refused(string cfg, string message)
    {
        string folder = Write(new() { [1] = [0] }, "model.");
        File.WriteAllText(Path.Combine(folder, FineTuneManifest.ConfigFileName), cfg);
        var error = Assert.Throws<CheckpointException>(() => FineTuneManifest.Validate(folder, Base));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_tensor_is_named()
    {
        string folder = Write(new() { [1] = [0, 4] }, "model.");
        File.WriteAllText(Path.Combine(folder, FineTuneManifest.ConfigFileName), "{\"experts\": {\"1\": [0, 4, 6]}}");
        var error = Assert.Throws<CheckpointException>(() => FineTuneManifest.Validate(folder, Base));
        Assert.Contains("'model.layers.1.mlp.experts.6.gate_proj.weight' is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_extra_tensor_is_named()
    {
        string folder = Write(new() { [1] = [0, 4] }, "model.");
        File.WriteAllText(Path.Combine(folder, FineTuneManifest.ConfigFileName), "{\"experts\": {\"1\": [0]}}");
        var error = Assert.Throws<CheckpointException>(() => FineTuneManifest.Validate(folder, Base));
        Assert.Contains("'model.layers.1.mlp.experts.4.", error.Message, StringComparison.Ordinal);
        Assert.Contains("not one of the routed experts", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_shape_or_dtype_is_named()
    {
        string folder = Write(new() { [1] = [0] }, "model.");
        var shape = CheckpointRewriter.TempFolder("ft-shape");
        File.Copy(Path.Combine(folder, FineTuneManifest.ConfigFileName), Path.Combine(shape, FineTuneManifest.ConfigFileName));
        var writer = new SafetensorsWriter();
        writer.AddBf16("model.layers.1.mlp.experts.0.gate_proj.weight", [64, 128], new float[64 * 128]);
        writer.AddBf16("model.layers.1.mlp.experts.0.up_proj.weight", [64, 128], new float[64 * 128]);
        writer.Add("model.layers.1.mlp.experts.0.down_proj.weight", "I32", [128, 64], _ => { });
        writer.Write(Path.Combine(shape, "model.safetensors"));
        var error = Assert.Throws<CheckpointException>(() => FineTuneManifest.Validate(shape, Base));
        Assert.Contains("'model.layers.1.mlp.experts.0.down_proj.weight' has dtype I32", error.Message, StringComparison.Ordinal);

        writer = new SafetensorsWriter();
        writer.AddBf16("model.layers.1.mlp.experts.0.gate_proj.weight", [64, 64], new float[64 * 64]);
        writer.AddBf16("model.layers.1.mlp.experts.0.up_proj.weight", [64, 128], new float[64 * 128]);
        writer.AddBf16("model.layers.1.mlp.experts.0.down_proj.weight", [128, 64], new float[128 * 64]);
        writer.Write(Path.Combine(shape, "model.safetensors"));
        error = Assert.Throws<CheckpointException>(() => FineTuneManifest.Validate(shape, Base));
        Assert.Contains("'model.layers.1.mlp.experts.0.gate_proj.weight' has shape [64, 64]; the base model's experts are [64, 128]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_file_or_no_weights_is_refused()
    {
        string folder = Write(new() { [1] = [0] }, "model.");
        string file = Path.Combine(folder, "model.safetensors");
        byte[] bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length - 100)]);
        var error = Assert.Throws<CheckpointException>(() => FineTuneManifest.Validate(folder, Base));
        Assert.Contains("outside the file's", error.Message, StringComparison.Ordinal);

        File.Delete(file);
        error = Assert.Throws<CheckpointException>(() => FineTuneManifest.Validate(folder, Base));
        Assert.Contains("no *.safetensors", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expert_lists_parse_from_the_cli_syntax()
    {
        var experts = RandomFineTuneWriter.ParseExperts("1:3,5;2:0,7");
        Assert.Equal([3, 5], experts[1]);
        Assert.Equal([0, 7], experts[2]);
        Assert.Throws<FormatException>(() => RandomFineTuneWriter.ParseExperts("1-3"));
        Assert.Throws<FormatException>(() => RandomFineTuneWriter.ParseExperts("1:a"));
    }

    private static string Write(Dictionary<int, int[]> experts, string prefix)
    {
        string folder = CheckpointRewriter.TempFolder("ft");
        RandomFineTuneWriter.Write(BaseFolder, experts, folder, 7, prefix);
        return folder;
    }
}
