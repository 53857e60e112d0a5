namespace Maas.Generation.Tests.Support;

/// <summary>Test classes that drive the one api-role silo and worker process of <see cref="PipelineFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<PipelineFixture>
{
    public const string Name = "pipeline";
}
