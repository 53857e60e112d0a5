using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Maas.Testing;

/// <summary>Where a started host's Kestrel listens, for hosts started on port 0.</summary>
public static class ListeningAddresses
{
    /// <summary>The first address, e.g. http://127.0.0.1:41234/ (with the trailing slash relative paths need).</summary>
    public static Uri ListeningAddress(this IHost host) =>
        new(host.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First().TrimEnd('/') + "/");
}
