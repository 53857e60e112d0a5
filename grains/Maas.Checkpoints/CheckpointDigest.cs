using System.Security.Cryptography;
using System.Text;

namespace Maas.Checkpoints;

/// <summary>
/// A stable digest of the files that define a checkpoint's weights (config.json, every *.safetensors and the
/// safetensors index), so an auditor can tell from a usage record which exact weights answered. SHA-256 over, per file
/// in ordinal name order, "name NUL length NUL sha256(content)"; the result is "sha256:" and 64 hex digits. It does not
/// depend on paths, timestamps or the order files are listed in; changing one byte of any weight changes it. Reading
/// every weight byte takes a while on big checkpoints, so workers compute it once per model, at load.
/// </summary>
public static class CheckpointDigest
{
    public const string Prefix = "sha256:";

    public static async Task<string> ComputeAsync(string folder, CancellationToken cancellationToken)
    {
        var files = Directory.EnumerateFiles(folder)
            .Where(IsWeightsFile)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
        {
            throw new CheckpointException($"{folder} has no config.json or *.safetensors files to digest.");
        }

        using var outer = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            byte[] content;
            long length;
            await using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan | FileOptions.Asynchronous))
            {
                length = stream.Length;
                content = await SHA256.HashDataAsync(stream, cancellationToken);
            }

            outer.AppendData(Encoding.UTF8.GetBytes($"{Path.GetFileName(file)}\0{length}\0"));
            outer.AppendData(content);
        }

        return Prefix + Convert.ToHexStringLower(outer.GetHashAndReset());
    }

    private static bool IsWeightsFile(string path)
    {
        var name = Path.GetFileName(path);
        return name == "config.json" || name == "expert_cfg.json" || name.EndsWith(".safetensors", StringComparison.Ordinal) || name.EndsWith(".safetensors.index.json", StringComparison.Ordinal);
    }
}
