using System.Buffers.Binary;
using Maas.Checkpoints;
using Maas.Engine.Checkpoints;
using Maas.Engine.Model;
using Maas.Engine.Tests.TestSupport;
using Xunit;

namespace Maas.Engine.Tests.Checkpoints;

/// <summary>Broken checkpoints fail at load with a CheckpointException that names the problem, never inside a kernel.</summary>
public sealed class LoaderErrorTests : IDisposable
{
    private readonly List<string> _folders = [];

    private static string Source => GoldenFolder.Load(GoldenFolder.All()[0]).Path;

    private string Track(string folder)
    {
        _folders.Add(folder);
        return folder;
    }

    [Fact]
    public void Unknown_architecture_is_named()
    {
        string folder = Track(CheckpointRewriter.Rewrite(Source, "arch", CheckpointRewriter.Copy,
            config => config.Replace("DeepseekV2ForCausalLM", "MixtralForCausalLM").Replace("DeepseekV3ForCausalLM", "MixtralForCausalLM")));
        var e = Assert.Throws<CheckpointException>(() => DeepseekModel.Load(folder));
        Assert.Contains("MixtralForCausalLM", e.Message);
    }

    [Fact]
    public void Missing_tensor_is_named()
    {
        const string victim = "model.layers.1.self_attn.kv_a_layernorm.weight";
        string folder = Track(CheckpointRewriter.Rewrite(Source, "missing", (w, name, dtype, shape, bytes) =>
        {
            if (name != victim)
            {
                CheckpointRewriter.Copy(w, name, dtype, shape, bytes);
            }
        }));
        var e = Assert.Throws<CheckpointException>(() => DeepseekModel.Load(folder));
        Assert.Contains(victim, e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void Wrong_shape_is_named_with_the_expected_shape()
    {
        const string victim = "model.layers.0.self_attn.kv_a_proj_with_mqa.weight";
        long[]? original = null;
        string folder = Track(CheckpointRewriter.Rewrite(Source, "shape", (w, name, dtype, shape, bytes) =>
        {
            if (name == victim)
            {
                original = shape;
                shape = [shape[1], shape[0]];
            }

            CheckpointRewriter.Copy(w, name, dtype, shape, bytes);
        }));
        Assert.NotNull(original);
        Assert.NotEqual(original[0], original[1]);
        var e = Assert.Throws<CheckpointException>(() => DeepseekModel.Load(folder));
        Assert.Contains(victim, e.Message);
        Assert.Contains($"expected [{original[0]}, {original[1]}]", e.Message);
    }

    [Fact]
    public void Wrong_dtype_is_named()
    {
        const string victim = "model.norm.weight";
        string folder = Track(CheckpointRewriter.Rewrite(Source, "dtype", (w, name, dtype, shape, bytes) =>
        {
            // Same bytes reinterpreted as I16: right size, wrong type.
            CheckpointRewriter.Copy(w, name, name == victim ? "I16" : dtype, shape, bytes);
        }));
        var e = Assert.Throws<CheckpointException>(() => DeepseekModel.Load(folder));
        Assert.Contains(victim, e.Message);
        Assert.Contains("I16", e.Message);
    }

    [Fact]
    public void Fp8_weight_without_scales_is_named()
    {
        const string victim = "model.layers.0.mlp.down_proj.weight";
        string folder = Track(CheckpointRewriter.Rewrite(Source, "fp8scales", (w, name, dtype, shape, bytes) =>
        {
            if (name == victim)
            {
                w.AddFp8(name, shape, new byte[shape[0] * shape[1]]);
            }
            else
            {
                CheckpointRewriter.Copy(w, name, dtype, shape, bytes);
            }
        }));
        var e = Assert.Throws<CheckpointException>(() => DeepseekModel.Load(folder));
        Assert.Contains(victim + "_scale_inv", e.Message);
    }

    [Fact]
    public void Truncated_file_is_reported()
    {
        string folder = Track(CheckpointRewriter.TempFolder("truncated"));
        File.Copy(Path.Combine(Source, "config.json"), Path.Combine(folder, "config.json"));
        byte[] bytes = File.ReadAllBytes(Path.Combine(Source, "model.safetensors"));
        File.WriteAllBytes(Path.Combine(folder, "model.safetensors"), bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<CheckpointException>(() => DeepseekModel.Load(folder));
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains("data_offsets", e.Message);
    }

    [Fact]
    public void Corrupt_header_length_is_reported()
    {
        string folder = Track(CheckpointRewriter.TempFolder("header"));
        File.Copy(Path.Combine(Source, "config.json"), Path.Combine(folder, "config.json"));
        byte[] bytes = File.ReadAllBytes(Path.Combine(Source, "model.safetensors"));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)bytes.Length * 4);
        File.WriteAllBytes(Path.Combine(folder, "model.safetensors"), bytes);
        var e = Assert.Throws<CheckpointException>(() => DeepseekModel.Load(folder));
        Assert.Contains("header length", e.Message);
    }

    [Fact]
    public void Corrupt_header_json_is_reported()
    {
        string folder = Track(CheckpointRewriter.TempFolder("json"));
        File.Copy(Path.Combine(Source, "config.json"), Path.Combine(folder, "config.json"));
        byte[] bytes = File.ReadAllBytes(Path.Combine(Source, "model.safetensors"));
        bytes[8] = (byte)'#';
        File.WriteAllBytes(Path.Combine(folder, "model.safetensors"), bytes);
        var e = Assert.Throws<CheckpointException>(() => DeepseekModel.Load(folder));
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void Tiny_file_is_reported()
    {
        string folder = Track(CheckpointRewriter.TempFolder("tiny"));
        File.Copy(Path.Combine(Source, "config.json"), Path.Combine(folder, "config.json"));
        File.WriteAllBytes(Path.Combine(folder, "model.safetensors"), [1, 2, 3]);
        var e = Assert.Throws<CheckpointException>(() => DeepseekModel.Load(folder));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Q8_precision_loads_and_quantizes_the_linear_weights()
    {
        using DeepseekModel q8 = DeepseekModel.Load(Source, new ModelLoadOptions { Weights = WeightPrecision.Q8, Threads = 2 });
        using DeepseekModel f32 = DeepseekModel.Load(Source, new ModelLoadOptions { Weights = WeightPrecision.F32, Threads = 2 });
        // Linear weights shrink from 4 bytes to ~1.06 (codes + scale and offset per 128); embeddings, router and
        // the f32 MLA slices stay, so the dense bytes of a step must drop well below half.
        Assert.True(q8.DenseWeightBytes < 0.5 * f32.DenseWeightBytes, $"Q8 dense bytes {q8.DenseWeightBytes} vs F32 {f32.DenseWeightBytes}");
    }

    public void Dispose()
    {
        foreach (string folder in _folders)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: temp files.
            }
        }
    }
}
