using Maas.Infrastructure.Persistence;

namespace Maas.Api.FineTunes;

/// <summary>A tenant fine-tune as the api shows it (one version: the latest unless stated).</summary>
public sealed record FineTuneCard(string Id, string Name, string Model, int Version, long CreatedAt, string Digest, int ExpertCount, long Bytes)
{
    public string Object => "fine_tune";

    public string Status => "ready";

    public static FineTuneCard From(FineTune row) =>
        new(row.Id, row.Name, row.BaseModel, row.Version, row.CreatedAt.ToUnixTimeSeconds(), row.Digest, row.ExpertCount, row.WeightBytes);
}
