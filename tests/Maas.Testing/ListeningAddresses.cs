using Maas.Infrastructure.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Maas.Testing;

/// <summary>Where a started host's Kestrel listens, for hosts started on port 0.</summary>
public static class ListeningAddresses
{
    /// <summary>
    /// The first public address, e.g. http://127.0.0.1:41234/ (with the trailing slash relative paths need): the
    /// management listener of a Maas service (<see cref="ManagementAddress"/>) is skipped.
    /// </summary>
    public static Uri ListeningAddress(this IHost host)
    {
        var managementPort = host.Services.GetService<IOptions<ManagementOptions>>()?.Value.Port ?? -1;
        return new(host.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses
            .First(a => new Uri(a).Port != managementPort).TrimEnd('/') + "/");
    }

    /// <summary>The management listener of a Maas service (/metrics, /health/ready), from its Maas:Management:Url.</summary>
    public static Uri ManagementAddress(this IHost host) =>
        new(host.Services.GetRequiredService<IOptions<ManagementOptions>>().Value.Url.TrimEnd('/') + "/");
}
