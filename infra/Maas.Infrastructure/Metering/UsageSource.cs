namespace Maas.Infrastructure.Metering;

/// <summary>Which entry point served a request; batch usage is billed at the price book's batch discount.</summary>
public enum UsageSource
{
    Api = 0,
    Batch = 1,
    Plant = 2,
}
