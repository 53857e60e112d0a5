namespace Maas.Engine.Serving;

/// <summary>The engine's front door: loads a model and runs a continuous batch on its own threads.</summary>
public sealed class InferenceEngine : ITextGenerator
{
    private InferenceEngine()
    {
    }

    public ModelDescription Model => throw new NotImplementedException("contract stub: engine serving implements it");

    public int ActiveSequences => 0;

    public int QueuedSequences => 0;

    public static InferenceEngine Load(InferenceEngineOptions options) => throw new NotImplementedException("contract stub");

    public IAsyncEnumerable<GenerationEvent> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken) => throw new NotImplementedException();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
