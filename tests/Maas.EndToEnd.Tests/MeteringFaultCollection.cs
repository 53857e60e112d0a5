namespace Maas.EndToEnd.Tests;

/// <summary>The metering fault tests share one platform with a private PostgreSQL they stop, start and outlive.</summary>
[CollectionDefinition(Name)]
public sealed class MeteringFaultCollection : ICollectionFixture<MeteringFaultFixture>
{
    public const string Name = "metering-faults";
}
