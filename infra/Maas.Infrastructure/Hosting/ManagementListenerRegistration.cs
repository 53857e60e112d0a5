using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Maas.Infrastructure.Hosting;

/// <summary>
/// Adds the management URL to the server's addresses before the server starts (<see cref="IHostedLifecycleService.StartingAsync"/>
/// runs before any hosted service's StartAsync, the web server's included). ASP.NET Core reads the public URLs from
/// configuration ("urls", ASPNETCORE_URLS, --urls) only when nobody has added an address yet, so they are added here
/// first, the same way, unless the host already set some (tests use <c>app.Urls</c>).
/// </summary>
internal sealed class ManagementListenerRegistration(IServer server, IConfiguration configuration, IOptions<ManagementOptions> options) : IHostedLifecycleService
{
    /// <summary>ASP.NET Core's own default when no URL is configured.</summary>
    private const string DefaultPublicUrl = "http://localhost:5000";

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses
            ?? throw new InvalidOperationException("The server does not expose its addresses; the management listener cannot be added.");
        if (addresses.Count == 0)
        {
            foreach (var url in PublicUrls())
            {
                addresses.Add(url);
            }
        }

        var management = options.Value;
        foreach (var url in addresses)
        {
            if (Uri.TryCreate(url.Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri) && uri.Port == management.Port)
            {
                throw new InvalidOperationException($"The public URL {url} uses the management port {management.Port} (Maas:Management:Url); give them different ports.");
            }
        }

        addresses.Add(management.Url);
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private IEnumerable<string> PublicUrls()
    {
        if (configuration["urls"] is { Length: > 0 } urls)
        {
            return urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        var ports = new List<string>();
        foreach (var (key, scheme) in new[] { ("http_ports", "http"), ("https_ports", "https") })
        {
            if (configuration[key] is { Length: > 0 } list)
            {
                ports.AddRange(list.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"{scheme}://*:{p}"));
            }
        }

        return ports.Count > 0 ? ports : [DefaultPublicUrl];
    }
}
