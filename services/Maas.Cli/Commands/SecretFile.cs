namespace Maas.Cli.Commands;

/// <summary>Files that hold one secret (a demo key, a generated password): readable by the owner only.</summary>
public static class SecretFile
{
    public static async Task WriteAsync(string file, string secret, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(file, options))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteLineAsync(secret.AsMemory(), cancellationToken);
        }

        // UnixCreateMode applies only to new files; an existing file keeps its mode unless set here.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>The first line of the file, trimmed (so `echo secret > file` works).</summary>
    public static async Task<string> ReadAsync(string file, CancellationToken cancellationToken) =>
        (await File.ReadAllLinesAsync(file, cancellationToken)).FirstOrDefault()?.Trim() ?? "";
}
