using System.Text.Json;
using Maas.Checkpoints;

namespace Maas.Engine.Checkpoints;

/// <summary>
/// The tensors of a Hugging Face checkpoint folder: one model.safetensors, shards listed by
/// model.safetensors.index.json, or else every *.safetensors in the folder.
/// </summary>
public sealed class Checkpoint : IDisposable
{
    private readonly List<SafetensorsFile> _files = [];
    private readonly Dictionary<string, SafetensorsTensor> _tensors = new(StringComparer.Ordinal);

    private Checkpoint(string folder)
    {
        Folder = folder;
    }

    public string Folder { get; }

    public int TensorCount => _tensors.Count;

    /// <summary>Bytes of every tensor's data (what loading reads at most).</summary>
    public long TotalBytes
    {
        get
        {
            long total = 0;
            foreach (SafetensorsTensor tensor in _tensors.Values)
            {
                total += tensor.ByteLength;
            }

            return total;
        }
    }

    public static Checkpoint Open(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new CheckpointException($"checkpoint folder '{folder}' does not exist");
        }

        var checkpoint = new Checkpoint(folder);
        try
        {
            foreach (string file in ShardFiles(folder))
            {
                SafetensorsFile opened = SafetensorsFile.Open(file);
                checkpoint._files.Add(opened);
                foreach (string name in opened.TensorNames)
                {
                    opened.TryGet(name, out SafetensorsTensor tensor);
                    checkpoint._tensors[name] = tensor;
                }
            }
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }

        return checkpoint;
    }

    private static IEnumerable<string> ShardFiles(string folder)
    {
        string index = Path.Combine(folder, "model.safetensors.index.json");
        if (File.Exists(index))
        {
            var files = new SortedSet<string>(StringComparer.Ordinal);
            try
            {
                using JsonDocument document = JsonDocument.Parse(File.ReadAllText(index));
                foreach (JsonProperty entry in document.RootElement.GetProperty("weight_map").EnumerateObject())
                {
                    files.Add(entry.Value.GetString()!);
                }
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new CheckpointException($"{index}: not a valid safetensors index (needs a weight_map object): {e.Message}", e);
            }

            return files.Select(f => Path.Combine(folder, f)).ToList();
        }

        string single = Path.Combine(folder, "model.safetensors");
        if (File.Exists(single))
        {
            return [single];
        }

        string[] any = Directory.GetFiles(folder, "*.safetensors");
        if (any.Length == 0)
        {
            throw new CheckpointException($"no model.safetensors, model.safetensors.index.json or *.safetensors in '{folder}'");
        }

        Array.Sort(any, StringComparer.Ordinal);
        return any;
    }

    public bool TryGet(string name, out SafetensorsTensor tensor) => _tensors.TryGetValue(name, out tensor);

    public bool Contains(string name) => _tensors.ContainsKey(name);

    public SafetensorsTensor Require(string name)
    {
        if (!_tensors.TryGetValue(name, out SafetensorsTensor tensor))
        {
            throw new CheckpointException($"tensor '{name}' is missing from the checkpoint in '{Folder}'");
        }

        return tensor;
    }

    /// <summary>A 2-D float tensor [rows, cols] of a dtype the weight loader reads (F32, BF16, F16, F8_E4M3).</summary>
    public SafetensorsTensor RequireMatrix(string name, int rows, int cols)
    {
        SafetensorsTensor tensor = Require(name);
        RequireFloatDtype(tensor, allowFp8: true);
        if (tensor.Shape.Count != 2 || tensor.Shape[0] != rows || tensor.Shape[1] != cols)
        {
            throw new CheckpointException($"tensor '{name}' has shape {tensor.ShapeText}; expected [{rows}, {cols}]");
        }

        return tensor;
    }

    /// <summary>A 1-D float tensor [length] (F32, BF16 or F16).</summary>
    public SafetensorsTensor RequireVector(string name, int length)
    {
        SafetensorsTensor tensor = Require(name);
        RequireFloatDtype(tensor, allowFp8: false);
        if (tensor.Shape.Count != 1 || tensor.Shape[0] != length)
        {
            throw new CheckpointException($"tensor '{name}' has shape {tensor.ShapeText}; expected [{length}]");
        }

        return tensor;
    }

    /// <summary>The F32 block scales [ceil(rows/128), ceil(cols/128)] of an FP8 weight ("&lt;module&gt;.weight_scale_inv").</summary>
    public SafetensorsTensor RequireFp8Scales(string weightName, int rows, int cols)
    {
        string name = weightName + "_scale_inv";
        if (!_tensors.TryGetValue(name, out SafetensorsTensor tensor))
        {
            throw new CheckpointException($"tensor '{weightName}' is F8_E4M3 but its block scales '{name}' (F32 [{Blocks(rows)}, {Blocks(cols)}]) are missing");
        }

        if (tensor.Dtype != SafetensorsDtype.F32)
        {
            throw new CheckpointException($"tensor '{name}' has dtype {tensor.DtypeName}; expected F32");
        }

        if (tensor.Shape.Count != 2 || tensor.Shape[0] != Blocks(rows) || tensor.Shape[1] != Blocks(cols))
        {
            throw new CheckpointException($"tensor '{name}' has shape {tensor.ShapeText}; expected [{Blocks(rows)}, {Blocks(cols)}]");
        }

        return tensor;
    }

    /// <summary>The block scales needed to read a [rows, cols] matrix: an FP8 weight's (<see cref="RequireFp8Scales"/>), none for other dtypes.</summary>
    public SafetensorsTensor? ScalesFor(SafetensorsTensor weight, int rows, int cols) =>
        weight.Dtype == SafetensorsDtype.F8E4M3 ? RequireFp8Scales(weight.Name, rows, cols) : null;

    private static int Blocks(int n) => (n + 127) / 128;

    private static void RequireFloatDtype(SafetensorsTensor tensor, bool allowFp8)
    {
        bool ok = tensor.Dtype is SafetensorsDtype.F32 or SafetensorsDtype.BF16 or SafetensorsDtype.F16
            || (allowFp8 && tensor.Dtype == SafetensorsDtype.F8E4M3);
        if (!ok)
        {
            string expected = allowFp8 ? "F32, BF16, F16 or F8_E4M3" : "F32, BF16 or F16";
            throw new CheckpointException($"tensor '{tensor.Name}' has dtype {tensor.DtypeName}; expected {expected}");
        }
    }

    public void Dispose()
    {
        foreach (SafetensorsFile file in _files)
        {
            file.Dispose();
        }

        _files.Clear();
        _tensors.Clear();
    }
}
