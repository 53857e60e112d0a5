namespace Maas.Grains.Abstractions.FineTunes;

/// <summary>
/// The fine-tune version a sequence runs with, as the api resolved it from the tenant's model name: its id
/// ("ft:{base}:{tenant}:{name}"), version, the artifact folder workers load, and the artifact's digest. Fine-tuned
/// experts change every later layer's KV, so the prefix KV cache namespaces on <see cref="VersionKey"/> or
/// <see cref="Digest"/>, never on the name alone.
/// </summary>
[GenerateSerializer, Immutable, Alias("Maas.FineTuneRef")]
public sealed record FineTuneRef
{
    [Id(0)]
    public required string Id { get; init; }

    [Id(1)]
    public required int Version { get; init; }

    [Id(2)]
    public required string ArtifactPath { get; init; }

    /// <summary>SHA-256 over the artifact's files ("sha256:...").</summary>
    [Id(3)]
    public required string Digest { get; init; }

    /// <summary>"{id}#v{version}": one version, whatever its files are called.</summary>
    public string VersionKey => $"{Id}#v{Version}";
}
