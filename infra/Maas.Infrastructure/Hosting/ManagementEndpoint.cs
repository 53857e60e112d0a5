namespace Maas.Infrastructure.Hosting;

/// <summary>Endpoint metadata: the endpoint answers only on the management listener (<see cref="ManagementOptions"/>).</summary>
public sealed class ManagementEndpoint
{
    public static ManagementEndpoint Instance { get; } = new();

    private ManagementEndpoint()
    {
    }
}
