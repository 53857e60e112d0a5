using Maas.Checkpoints;
using Maas.Engine.Checkpoints;
using Maas.Engine.Tests.TestSupport;
using Maas.Engine.Tools.Checkpoints;
using Maas.Engine.Weights;
using Xunit;

namespace Maas.Engine.Tests.Checkpoints;

public sealed unsafe class SafetensorsTests
{
    [Fact]
    public void Writer_output_reads_back_with_dtypes_shapes_values_and_metadata()
    {
        string folder = CheckpointRewriter.TempFolder("roundtrip");
        try
        {
            var writer = new SafetensorsWriter();
            writer.Metadata["format"] = "pt";
            writer.AddF32("a", [2, 3], [1, 2, 3, 4, 5, -6]);
            writer.AddBf16("b", [3], [1.5f, -2f, 0.1f]);
            writer.AddFp8("c", [2], [0x38, 0xFE]);
            string path = Path.Combine(folder, "model.safetensors");
            writer.Write(path);

            using Checkpoint checkpoint = Checkpoint.Open(folder);
            Assert.Equal(3, checkpoint.TensorCount);
            SafetensorsTensor a = checkpoint.RequireMatrix("a", 2, 3);
            Assert.Equal(SafetensorsDtype.F32, a.Dtype);
            Assert.Equal(-6f, ((float*)a.Data)[5]);
            Assert.Equal(0, (long)a.Data % 8);
            SafetensorsTensor b = checkpoint.RequireVector("b", 3);
            Assert.Equal(SafetensorsDtype.BF16, b.Dtype);
            Assert.Equal(-2f, Bf16.Decode(((ushort*)b.Data)[1]));
            Assert.True(checkpoint.TryGet("c", out SafetensorsTensor c));
            Assert.Equal(SafetensorsDtype.F8E4M3, c.Dtype);
            Assert.Equal(-448f, Fp8E4M3.Decode(c.Data[1]));
            using SafetensorsFile file = SafetensorsFile.Open(path);
            Assert.Equal("pt", file.Metadata["format"]);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Theory]
    [InlineData(WeightPrecision.Native, WeightFormat.F32)]
    [InlineData(WeightPrecision.Bf16, WeightFormat.Bf16)]
    public void F16_tensors_load_as_their_values(WeightPrecision precision, WeightFormat expectedFormat)
    {
        string folder = CheckpointRewriter.TempFolder("f16");
        try
        {
            Half[] values = [(Half)1.5f, (Half)(-0.25f), (Half)3f, (Half)0.125f, (Half)(-2f), (Half)1024f];
            var writer = new SafetensorsWriter();
            writer.Add("m", "F16", [2, 3], span => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(span));
            writer.Write(Path.Combine(folder, "model.safetensors"));
            using Checkpoint checkpoint = Checkpoint.Open(folder);
            Assert.Equal((Half)(-2f), checkpoint.Require("m").AsSpan<Half>()[4]);
            using WeightMatrix matrix = new WeightLoader(checkpoint, precision).Matrix("m", 2, 3);
            Assert.Equal(expectedFormat, matrix.Format);
            var row = new float[3];
            matrix.ReadRow(1, row);
            Assert.Equal([0.125f, -2f, 1024f], row);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void Sharded_checkpoint_is_read_through_the_index()
    {
        string folder = CheckpointRewriter.TempFolder("shards");
        try
        {
            var first = new SafetensorsWriter();
            first.AddF32("x", [2], [1, 2]);
            first.Write(Path.Combine(folder, "model-00001-of-00002.safetensors"));
            var second = new SafetensorsWriter();
            second.AddF32("y", [1], [3]);
            second.Write(Path.Combine(folder, "model-00002-of-00002.safetensors"));
            File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"),
                """{"metadata": {}, "weight_map": {"x": "model-00001-of-00002.safetensors", "y": "model-00002-of-00002.safetensors"}}""");
            using Checkpoint checkpoint = Checkpoint.Open(folder);
            Assert.Equal(2f, ((float*)checkpoint.RequireVector("x", 2).Data)[1]);
            Assert.Equal(3f, ((float*)checkpoint.RequireVector("y", 1).Data)[0]);
            var e = Assert.Throws<CheckpointException>(() => checkpoint.RequireVector("y", 2));
            Assert.Contains("'y'", e.Message);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
