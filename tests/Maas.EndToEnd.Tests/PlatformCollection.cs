namespace Maas.EndToEnd.Tests;

/// <summary>One platform (three processes) shared by every end-to-end test class.</summary>
[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "platform";
}
