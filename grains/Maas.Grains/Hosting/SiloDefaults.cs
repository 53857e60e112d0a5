using Maas.Grains.Abstractions.Placement;

namespace Maas.Grains.Hosting;

/// <summary>
/// What each kind of silo listens on unless configured otherwise, in one place: the api silo is the primary of
/// localhost clustering (11111 / gateway 30000), worker silos join it (11112 / gateway 30001).
/// </summary>
/// <param name="Role">The role published in silo metadata (<see cref="SiloRoles"/>).</param>
/// <param name="SiloPort">Default silo-to-silo port.</param>
/// <param name="GatewayPort">Default client gateway port.</param>
/// <param name="PrimaryIsSelf">True when this silo is the localhost primary unless Maas:Orleans:PrimarySiloEndpoint says otherwise.</param>
public sealed record SiloDefaults(string Role, int SiloPort, int GatewayPort, bool PrimaryIsSelf)
{
    public static SiloDefaults Api { get; } = new(SiloRoles.Api, 11111, 30000, PrimaryIsSelf: true);

    public static SiloDefaults Worker { get; } = new(SiloRoles.Worker, 11112, 30001, PrimaryIsSelf: false);

    /// <summary>The primary silo endpoint when none is configured.</summary>
    public string DefaultPrimarySiloEndpoint(int siloPort) => $"127.0.0.1:{(PrimaryIsSelf ? siloPort : Api.SiloPort)}";
}
