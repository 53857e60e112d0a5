namespace Maas.Portal.Tests;

/// <summary>One platform and one browser for every portal test class; the classes run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PortalCollection : ICollectionFixture<PortalFixture>
{
    public const string Name = "portal";
}
