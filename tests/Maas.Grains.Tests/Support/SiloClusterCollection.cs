namespace Maas.Grains.Tests.Support;

/// <summary>Test classes that share one three-silo cluster (and its clock).</summary>
[CollectionDefinition(Name)]
public sealed class SiloClusterCollection : ICollectionFixture<SiloClusterFixture>
{
    public const string Name = "silo-cluster";
}
