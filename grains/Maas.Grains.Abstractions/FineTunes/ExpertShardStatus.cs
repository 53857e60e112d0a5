namespace Maas.Grains.Abstractions.FineTunes;

/// <summary>What an expert shard holds on its worker: whether its experts are loaded, their bytes and how long loading took.</summary>
[GenerateSerializer, Immutable, Alias("Maas.ExpertShardStatus")]
public sealed record ExpertShardStatus(
    [property: Id(0)] string VersionKey,
    [property: Id(1)] string SiloAddress,
    [property: Id(2)] bool Loaded,
    [property: Id(3)] long BytesHeld,
    [property: Id(4)] int ExpertCount,
    [property: Id(5)] TimeSpan LoadTime);
