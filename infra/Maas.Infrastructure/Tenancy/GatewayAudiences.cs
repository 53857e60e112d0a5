namespace Maas.Infrastructure.Tenancy;

/// <summary>The services behind the gateway, as named in a signature's audience (the YARP cluster id by default).</summary>
public static class GatewayAudiences
{
    public const string Api = "api";
    public const string Portal = "portal";
    public const string Plant = "plant";
}
