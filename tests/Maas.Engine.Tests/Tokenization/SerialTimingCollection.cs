using Xunit;

namespace Maas.Engine.Tests.Tokenization;

/// <summary>Timing tests run alone so other tests' threads do not count against them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialTimingCollection
{
    public const string Name = "Serial timing";
}
