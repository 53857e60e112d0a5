namespace Maas.Grains.Abstractions.Models;

[GenerateSerializer, Alias("Maas.ModelLoadState")]
public enum ModelLoadState
{
    NotConfigured = 0,
    Loading = 1,
    Ready = 2,
    Failed = 3,
}
