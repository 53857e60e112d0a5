namespace Maas.Api.Tests.Support;

/// <summary>Test classes that share one running api host.</summary>
[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiHostFixture>
{
    public const string Name = "api";
}
