namespace Maas.Plant.Tests.Support;

/// <summary>One plant platform (four processes) shared by the MQTT and Batch API test classes.</summary>
[CollectionDefinition(Name)]
public sealed class PlantPlatformCollection : ICollectionFixture<PlantPlatformFixture>
{
    public const string Name = "plant-platform";
}
