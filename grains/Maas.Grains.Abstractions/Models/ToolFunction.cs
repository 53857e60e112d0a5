namespace Maas.Grains.Abstractions.Models;

/// <summary>A function a request offers the model: its name and its parameters' JSON Schema as JSON text.</summary>
[GenerateSerializer, Immutable, Alias("Maas.ToolFunction")]
public sealed record ToolFunction([property: Id(0)] string Name, [property: Id(1)] string Parameters);
