using System.Security.Cryptography;
using System.Text;
using Maas.Checkpoints;
using Maas.Testing;
using Xunit;

namespace Maas.Engine.Tests.Checkpoints;

/// <summary>The weights digest usage records carry: stable for the same files, different for any changed weight byte.</summary>
public sealed class CheckpointDigestTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "maas-digest-" + Guid.NewGuid().ToString("N")[..8]);

    public CheckpointDigestTests()
    {
        foreach (var file in new[] { "config.json", "model.safetensors" })
        {
            Directory.CreateDirectory(_folder);
            File.Copy(TestEnvironment.Fixture("golden", "deepseek2-tiny-a", file), Path.Combine(_folder, file));
        }
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task The_digest_is_sha256_over_name_length_and_content_hash_of_each_weights_file_in_name_order()
    {
        var expected = new StringBuilder();
        using var outer = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var name in new[] { "config.json", "model.safetensors" })
        {
            var bytes = await File.ReadAllBytesAsync(Path.Combine(_folder, name));
            outer.AppendData(Encoding.UTF8.GetBytes($"{name}\0{bytes.Length}\0"));
            outer.AppendData(SHA256.HashData(bytes));
        }

        Assert.Equal("sha256:" + Convert.ToHexStringLower(outer.GetHashAndReset()), await CheckpointDigest.ComputeAsync(_folder, CancellationToken.None));
    }

    [Fact]
    public async Task Other_files_do_not_count_and_one_changed_weight_byte_changes_the_digest()
    {
        var before = await CheckpointDigest.ComputeAsync(_folder, CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(_folder, "README.md"), "notes");
        Assert.Equal(before, await CheckpointDigest.ComputeAsync(_folder, CancellationToken.None));

        var weights = Path.Combine(_folder, "model.safetensors");
        var bytes = await File.ReadAllBytesAsync(weights);
        bytes[^1] ^= 0x01;
        await File.WriteAllBytesAsync(weights, bytes);
        Assert.NotEqual(before, await CheckpointDigest.ComputeAsync(_folder, CancellationToken.None));
    }

    [Fact]
    public async Task A_folder_without_weights_is_an_error()
    {
        var empty = Path.Combine(_folder, "empty");
        Directory.CreateDirectory(empty);
        await Assert.ThrowsAsync<CheckpointException>(() => CheckpointDigest.ComputeAsync(empty, CancellationToken.None));
    }
}
