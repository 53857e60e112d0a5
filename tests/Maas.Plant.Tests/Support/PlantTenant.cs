namespace Maas.Plant.Tests.Support;

/// <summary>A tenant created for a test run and its one API key (the MQTT password).</summary>
public sealed record PlantTenant(string Id, string Secret, Guid KeyId);
