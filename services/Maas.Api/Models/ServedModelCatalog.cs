using System.Collections.Frozen;
using System.Text.Json;
using Maas.Grains.Models;
using Microsoft.Extensions.Options;

namespace Maas.Api.Models;

/// <summary>The models this deployment serves (configuration "Maas:Models"), resolved once at start.</summary>
public sealed partial class ServedModelCatalog
{
    /// <summary>Used when a checkpoint's config.json cannot be read and no MaxContextLength is configured.</summary>
    public const int FallbackContextLength = 4096;

    private readonly FrozenDictionary<string, ServedModel> _models;

    public ServedModelCatalog(IOptions<ModelCatalogOptions> options, ILogger<ServedModelCatalog> logger)
    {
        _models = options.Value.Models
            .Select(m => Resolve(m, logger))
            .ToFrozenDictionary(m => m.Id, StringComparer.Ordinal);
    }

    public IEnumerable<ServedModel> All => _models.Values.OrderBy(m => m.Id, StringComparer.Ordinal);

    public ServedModel? Find(string id) => _models.GetValueOrDefault(id);

    private static ServedModel Resolve(ModelEntryOptions entry, ILogger logger)
    {
        var configPath = System.IO.Path.Combine(entry.Path, "config.json");
        int? checkpointContext = null;
        long created = 0;
        try
        {
            using var stream = File.OpenRead(configPath);
            using var config = JsonDocument.Parse(stream);
            if (config.RootElement.TryGetProperty("max_position_embeddings", out var max) && max.TryGetInt32(out var value) && value > 0)
            {
                checkpointContext = value;
            }

            created = new DateTimeOffset(File.GetLastWriteTimeUtc(configPath)).ToUnixTimeSeconds();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            LogConfigUnreadable(logger, ex, entry.Id, configPath);
        }

        var context = (checkpointContext, entry.MaxContextLength) switch
        {
            ({ } c, > 0) => Math.Min(c, entry.MaxContextLength),
            ({ } c, _) => c,
            (null, > 0) => entry.MaxContextLength,
            _ => FallbackContextLength,
        };
        return new ServedModel(entry.Id, entry.Path, entry.OwnedBy, entry.Replicas, context, created);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: cannot read {ConfigPath}; context length falls back to configuration")]
    private static partial void LogConfigUnreadable(ILogger logger, Exception exception, string model, string configPath);
}
