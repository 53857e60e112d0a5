using System.Net;
using System.Net.Sockets;

namespace Maas.Testing;

/// <summary>Loopback TCP ports nobody listens on right now, for HTTP, silo and gateway endpoints.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
