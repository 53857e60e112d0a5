using Maas.Checkpoints;
using Maas.Checkpoints.FineTunes;
using Maas.Engine.Checkpoints;

namespace Maas.Engine.Tools.Checkpoints;

/// <summary>
/// Writes the base checkpoint with a fine-tune's experts written over the base ones (and the base's config and tokenizer
/// files): the static reference a fine-tune served in a mixed batch must match, for tests and benchmarks.
/// </summary>
public static class FineTuneMerger
{
    public static unsafe void Merge(string baseFolder, string fineTuneFolder, string outputFolder)
    {
        FineTuneManifest manifest = FineTuneManifest.Validate(fineTuneFolder, ModelConfig.Load(baseFolder));
        Directory.CreateDirectory(outputFolder);
        foreach (string file in Directory.GetFiles(baseFolder).Where(f => !f.EndsWith(".safetensors", StringComparison.Ordinal) && !f.EndsWith(".safetensors.index.json", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(outputFolder, Path.GetFileName(file)), overwrite: true);
        }

        using Checkpoint fineTune = Checkpoint.Open(fineTuneFolder);
        using Checkpoint baseCheckpoint = Checkpoint.Open(baseFolder);
        var replaced = manifest.StoredNames.ToDictionary(p => p.Key, p => fineTune.Require(p.Value), StringComparer.Ordinal);
        var writer = new SafetensorsWriter();
        writer.Metadata["format"] = "pt";
        foreach (string name in BaseTensorNames(baseFolder))
        {
            SafetensorsTensor tensor = replaced.TryGetValue(name, out SafetensorsTensor replacement) ? replacement : baseCheckpoint.Require(name);
            byte* data = tensor.Data;
            long length = tensor.ByteLength;
            writer.Add(name, tensor.DtypeName, [.. tensor.Shape], span => new ReadOnlySpan<byte>(data, checked((int)length)).CopyTo(span));
        }

        writer.Write(Path.Combine(outputFolder, "model.safetensors"));
    }

    private static IEnumerable<string> BaseTensorNames(string baseFolder)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string file in Directory.GetFiles(baseFolder, "*.safetensors"))
        {
            using SafetensorsFile opened = SafetensorsFile.Open(file);
            names.UnionWith(opened.TensorNames);
        }

        return names;
    }
}
