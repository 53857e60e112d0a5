using Maas.Engine.Serving;

namespace Maas.Grains.Inference.Models;

/// <summary>Turns a configured model into a running engine. Called once per model per worker silo.</summary>
public interface IModelLoader
{
    Task<ITextGenerator> LoadAsync(EngineModelOptions model, CancellationToken cancellationToken);
}
