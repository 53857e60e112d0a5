using System.Formats.Tar;
using Maas.Checkpoints;
using Maas.Checkpoints.FineTunes;
using Maas.Infrastructure.FineTunes;
using Maas.Infrastructure.OpenAi;
using Maas.Infrastructure.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace Maas.Generation.FineTunes;

/// <summary>
/// Tenant fine-tunes at rest: the artifact store (a folder, <see cref="FineTuneOptions.ArtifactRoot"/>: one folder per
/// version, "{tenant}/{name}/v{version}") and the fine_tunes table. Uploads are written to a staging folder as they
/// arrive (never whole in memory), validated against the base model (<see cref="FineTuneManifest"/>), then moved into
/// place and registered as the next version. The one implementation of upload, list, find and delete, used by the
/// api and the CLI. Every client error is an <see cref="ApiErrorException"/> in the OpenAI shape.
/// </summary>
public sealed class FineTuneStore(string artifactRoot, TimeProvider time)
{
    private const string StagingFolder = ".staging";

    public string ArtifactRoot { get; } = Path.GetFullPath(artifactRoot);

    /// <summary>A fresh staging folder for one upload (delete it with <see cref="Discard"/> unless registered).</summary>
    public string NewStagingFolder()
    {
        var folder = Path.Combine(ArtifactRoot, StagingFolder, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    public static void Discard(string staging)
    {
        try
        {
            Directory.Delete(staging, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>
    /// Extracts an ESFT folder packed as a .tar (optionally under one top-level folder) into <paramref name="staging"/>,
    /// streaming each file; expert_cfg.json and *.safetensors are kept, anything else is skipped. More than
    /// <paramref name="maxBytes"/> of file content is a 413.
    /// </summary>
    public static async Task ExtractTarAsync(Stream tar, string staging, long maxBytes, CancellationToken cancellationToken)
    {
        long total = 0;
        try
        {
            await using var reader = new TarReader(tar, leaveOpen: true);
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                {
                    continue;
                }

                total += entry.Length;
                if (total > maxBytes)
                {
                    throw new ApiErrorException(TooLarge(maxBytes));
                }

                await SaveFileAsync(Path.GetFileName(entry.Name), entry.DataStream, staging, maxBytes, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new ApiErrorException(ApiError.InvalidValue("file", $"The upload is not a readable .tar archive: {ex.Message}", "invalid_fine_tune"));
        }
    }

    /// <summary>
    /// Saves one uploaded file of the fine-tune (expert_cfg.json or a *.safetensors) into <paramref name="staging"/>;
    /// other names are skipped. A file name used twice is a 400.
    /// </summary>
    public static async Task SaveFileAsync(string fileName, Stream content, string staging, long maxBytes, CancellationToken cancellationToken)
    {
        if (fileName != FineTuneManifest.ConfigFileName && !fileName.EndsWith(".safetensors", StringComparison.Ordinal))
        {
            return;
        }

        if (fileName.StartsWith('.') || fileName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            throw new ApiErrorException(ApiError.InvalidValue("file", $"'{fileName}' is not a valid file name.", "invalid_fine_tune"));
        }

        var path = Path.Combine(staging, fileName);
        if (File.Exists(path))
        {
            throw new ApiErrorException(ApiError.InvalidValue("file", $"The upload holds '{fileName}' twice.", "invalid_fine_tune"));
        }

        long already = Directory.EnumerateFiles(staging).Sum(f => new FileInfo(f).Length);
        await using var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
        {
            already += read;
            if (already > maxBytes)
            {
                throw new ApiErrorException(TooLarge(maxBytes));
            }

            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    /// <summary>
    /// Validates the staged fine-tune against the base model's checkpoint folder (400 naming the tensor otherwise),
    /// moves it into the store and registers it as the next version of "ft:{base}:{tenant}:{name}". The staging folder
    /// is gone afterwards either way.
    /// </summary>
    public async Task<FineTune> RegisterAsync(MaasDbContext db, string tenantId, string name, string baseModel, string baseModelPath, string staging, CancellationToken cancellationToken)
    {
        try
        {
            if (!FineTuneName.IsValidName(name))
            {
                throw new ApiErrorException(ApiError.InvalidValue("name", $"A fine-tune name is 1-{FineTuneName.MaxNameLength} characters of A-Z, a-z, 0-9, '.', '_' and '-'.", "invalid_fine_tune_name"));
            }

            FineTuneManifest manifest;
            try
            {
                manifest = FineTuneManifest.Validate(staging, ModelConfig.Load(baseModelPath));
            }
            catch (CheckpointException ex)
            {
                throw new ApiErrorException(ApiError.InvalidValue("file", $"The fine-tune does not fit the base model '{baseModel}': {ex.Message}", "invalid_fine_tune"));
            }

            var digest = await CheckpointDigest.ComputeAsync(staging, cancellationToken);
            var id = FineTuneName.Format(baseModel, tenantId, name);
            for (var attempt = 0; ; attempt++)
            {
                var version = 1 + (await db.FineTunes.Where(f => f.Id == id).MaxAsync(f => (int?)f.Version, cancellationToken) ?? 0);
                var folder = Path.Combine(ArtifactRoot, tenantId, name, $"v{version}");
                var row = new FineTune
                {
                    Id = id,
                    Version = version,
                    TenantId = tenantId,
                    Name = name,
                    BaseModel = baseModel,
                    ArtifactPath = folder,
                    Digest = digest,
                    WeightBytes = manifest.WeightBytes,
                    ExpertCount = manifest.ExpertCount,
                    CreatedAt = time.GetUtcNow(),
                };
                db.FineTunes.Add(row);
                try
                {
                    await db.SaveChangesAsync(cancellationToken);
                }
                catch (DbUpdateException) when (attempt < 3)
                {
                    // Another upload of the same name took this version first.
                    db.Entry(row).State = EntityState.Detached;
                    continue;
                }

                Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
                if (Directory.Exists(folder))
                {
                    // Left by an upload whose registration failed after the move.
                    Directory.Delete(folder, recursive: true);
                }

                Directory.Move(staging, folder);
                row.ArtifactPath = folder;
                return row;
            }
        }
        finally
        {
            Discard(staging);
        }
    }

    /// <summary>The latest version of each of the tenant's fine-tunes that is not deleted, by id.</summary>
    public static async Task<IReadOnlyList<FineTune>> ListAsync(MaasDbContext db, string tenantId, CancellationToken cancellationToken)
    {
        var rows = await db.FineTunes.AsNoTracking()
            .Where(f => f.TenantId == tenantId && f.DeletedAt == null)
            .ToListAsync(cancellationToken);
        return [.. rows.GroupBy(f => f.Id).Select(g => g.MaxBy(f => f.Version)!).OrderBy(f => f.Id, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The latest live version of <paramref name="id"/> if it belongs to <paramref name="tenantId"/>; null for a name of
    /// another tenant, a deleted one, or none (callers answer 404 alike, so names of other tenants reveal nothing).
    /// </summary>
    public static async Task<FineTune?> FindAsync(MaasDbContext db, string tenantId, string id, CancellationToken cancellationToken)
    {
        if (!FineTuneName.TryParse(id, out _, out var owner, out _) || owner != tenantId)
        {
            return null;
        }

        return await db.FineTunes.AsNoTracking()
            .Where(f => f.Id == id && f.TenantId == tenantId && f.DeletedAt == null)
            .OrderByDescending(f => f.Version)
            .FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>Marks every version deleted and removes their artifacts; returns them (empty if there was nothing to delete).</summary>
    public async Task<IReadOnlyList<FineTune>> DeleteAsync(MaasDbContext db, string tenantId, string id, CancellationToken cancellationToken)
    {
        if (await FindAsync(db, tenantId, id, cancellationToken) is null)
        {
            return [];
        }

        var rows = await db.FineTunes.Where(f => f.Id == id && f.TenantId == tenantId && f.DeletedAt == null).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        foreach (var row in rows)
        {
            row.DeletedAt = now;
        }

        await db.SaveChangesAsync(cancellationToken);
        foreach (var row in rows.Where(r => r.ArtifactPath.StartsWith(ArtifactRoot, StringComparison.Ordinal)))
        {
            // Workers hold loaded experts in their own memory; the files are only read at load.
            Discard(row.ArtifactPath);
        }

        return rows;
    }

    private static ApiError TooLarge(long maxBytes) =>
        ApiError.Of(StatusCodes.Status413PayloadTooLarge, $"The fine-tune is larger than this deployment accepts ({maxBytes} bytes, Maas:FineTunes:MaxUploadBytes).", ApiError.InvalidRequest, "request_too_large");
}
