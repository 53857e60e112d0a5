using System.Net;
using System.Net.Sockets;

namespace Maas.Testing;

/// <summary>HTTP clients that connect from a chosen loopback address, for tests of per-address limits.</summary>
public static class LoopbackClients
{
    /// <summary>A client whose connections come from <paramref name="local"/> (any 127.x address is loopback on Linux).</summary>
    public static HttpClient From(IPAddress local, Uri baseAddress) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(local, 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { BaseAddress = baseAddress };
}
