namespace Maas.Grains.Hosting;

/// <summary>This silo's role ("api" or "worker"), as published in its silo metadata.</summary>
public sealed record SiloRole(string Name);
