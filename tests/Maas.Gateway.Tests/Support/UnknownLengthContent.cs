using System.Net;

namespace Maas.Gateway.Tests.Support;

/// <summary>A body whose length is not declared, so HttpClient must send it chunked.</summary>
public sealed class UnknownLengthContent(int size) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        var chunk = new byte[8192];
        Array.Fill(chunk, (byte)'a');
        for (var sent = 0; sent < size; sent += chunk.Length)
        {
            await stream.WriteAsync(chunk.AsMemory(0, Math.Min(chunk.Length, size - sent)));
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
