using Maas.Engine.Checkpoints;
using Maas.Engine.Tools.Checkpoints;

namespace Maas.Engine.Tests.TestSupport;

/// <summary>Copies a checkpoint folder into a temp folder, letting a test change tensors or the config on the way.</summary>
internal static unsafe class CheckpointRewriter
{
    public delegate void TensorTransform(SafetensorsWriter writer, string name, string dtype, long[] shape, byte[] bytes);

    public static string TempFolder(string label)
    {
        string folder = Path.Combine(Path.GetTempPath(), "maas-engine-tests", $"{label}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>Writes target/model.safetensors from source's tensors through <paramref name="transform"/> and copies config.json (optionally edited).</summary>
    public static string Rewrite(string source, string label, TensorTransform transform, Func<string, string>? editConfig = null)
    {
        string target = TempFolder(label);
        string config = File.ReadAllText(Path.Combine(source, "config.json"));
        File.WriteAllText(Path.Combine(target, "config.json"), editConfig is null ? config : editConfig(config));
        var writer = new SafetensorsWriter();
        using (SafetensorsFile file = SafetensorsFile.Open(Path.Combine(source, "model.safetensors")))
        {
            foreach (string name in file.TensorNames.OrderBy(n => n, StringComparer.Ordinal))
            {
                file.TryGet(name, out SafetensorsTensor tensor);
                byte[] bytes = new ReadOnlySpan<byte>(tensor.Data, checked((int)tensor.ByteLength)).ToArray();
                transform(writer, name, tensor.DtypeName, tensor.Shape.ToArray(), bytes);
            }
        }

        writer.Write(Path.Combine(target, "model.safetensors"));
        return target;
    }

    public static void Copy(SafetensorsWriter writer, string name, string dtype, long[] shape, byte[] bytes) =>
        writer.Add(name, dtype, shape, span => bytes.CopyTo(span));

    /// <summary>The tensor's values as f32 (F32 or BF16 sources).</summary>
    public static float[] ToF32(string dtype, byte[] bytes)
    {
        if (dtype == "F32")
        {
            return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        }

        ReadOnlySpan<ushort> bits = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(bytes);
        var values = new float[bits.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Bf16.Decode(bits[i]);
        }

        return values;
    }
}
