namespace Maas.Grains.Abstractions.Placement;

/// <summary>Silo metadata keys and role names that placement uses.</summary>
public static class SiloRoles
{
    /// <summary>Silo metadata key holding the silo's role.</summary>
    public const string MetadataKey = "maas.role";

    /// <summary>Silo metadata key holding the comma-separated model ids a worker is configured to serve.</summary>
    public const string ModelsMetadataKey = "maas.models";

    public const string Api = "api";

    public const string Worker = "worker";
}
