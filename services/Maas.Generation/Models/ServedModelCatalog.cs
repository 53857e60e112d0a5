using System.Collections.Frozen;
using Maas.Checkpoints;
using Maas.Infrastructure.Models;
using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maas.Generation.Models;

/// <summary>
/// The models this deployment serves: those configured under "Maas:Models" plus the enabled rows of the
/// PostgreSQL models table (configuration wins on the same id). <see cref="ModelCatalogRefresher"/> re-reads the table.
/// </summary>
public sealed partial class ServedModelCatalog
{
    /// <summary>Used when a checkpoint's config.json cannot be read and no MaxContextLength is configured.</summary>
    public const int FallbackContextLength = 4096;

    private readonly IReadOnlyList<ServedModelOptions> _configured;
    private readonly ILogger<ServedModelCatalog> _logger;
    private volatile FrozenDictionary<string, ServedModel> _models;

    public ServedModelCatalog(IOptions<ModelCatalogOptions<ServedModelOptions>> options, ILogger<ServedModelCatalog> logger)
    {
        _configured = options.Value.Models;
        _logger = logger;
        _models = _configured.Select(m => Resolve(m, null, logger)).ToFrozenDictionary(m => m.Id, StringComparer.Ordinal);
    }

    public IEnumerable<ServedModel> All => _models.Values.OrderBy(m => m.Id, StringComparer.Ordinal);

    public ServedModel? Find(string id) => _models.GetValueOrDefault(id);

    /// <summary>Merges the enabled models of the database into the catalog; models already resolved keep their loaded tokenizers.</summary>
    public async Task RefreshAsync(MaasDbContext db, CancellationToken cancellationToken)
    {
        var rows = await db.Models.AsNoTracking().Where(m => m.Enabled).ToListAsync(cancellationToken);
        var current = _models;
        var next = new Dictionary<string, ServedModel>(StringComparer.Ordinal);
        foreach (var entry in _configured)
        {
            next[entry.Id] = current[entry.Id];
        }

        foreach (var row in rows.Where(r => !next.ContainsKey(r.Id)))
        {
            next[row.Id] = current.TryGetValue(row.Id, out var known) && known.Path == row.Path
                ? known
                : Resolve(new ServedModelOptions { Id = row.Id, Path = row.Path, OwnedBy = row.OwnedBy }, row.CreatedAt, _logger);
        }

        _models = next.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static ServedModel Resolve(ServedModelOptions entry, DateTimeOffset? createdAt, ILogger logger)
    {
        // The engine's own config.json reader and context rule, so the api refuses exactly what a worker would.
        var context = entry.MaxContextLength > 0 ? entry.MaxContextLength : FallbackContextLength;
        var created = createdAt?.ToUnixTimeSeconds() ?? 0;
        try
        {
            context = ModelConfig.Load(entry.Path).ContextLength(entry.MaxContextLength);
            if (created <= 0)
            {
                created = new DateTimeOffset(File.GetLastWriteTimeUtc(System.IO.Path.Combine(entry.Path, "config.json"))).ToUnixTimeSeconds();
            }
        }
        catch (Exception ex) when (ex is CheckpointException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            LogConfigUnreadable(logger, ex, entry.Id, entry.Path);
        }

        return new ServedModel(entry.Id, entry.Path, entry.OwnedBy, entry.Replicas, context, created, entry.SpecialTokensInPrompts);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: cannot read the config.json of {Path}; context length falls back to configuration")]
    private static partial void LogConfigUnreadable(ILogger logger, Exception exception, string model, string path);
}
