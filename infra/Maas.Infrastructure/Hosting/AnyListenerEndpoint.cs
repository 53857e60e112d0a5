namespace Maas.Infrastructure.Hosting;

/// <summary>Endpoint metadata: the endpoint answers on the public and the management listener alike (/health/live).</summary>
public sealed class AnyListenerEndpoint
{
    public static AnyListenerEndpoint Instance { get; } = new();

    private AnyListenerEndpoint()
    {
    }
}
