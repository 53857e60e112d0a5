namespace Maas.Grains.Hosting;

/// <summary>How silos find each other.</summary>
public enum OrleansClustering
{
    /// <summary>Loopback development clustering with a fixed primary silo.</summary>
    Localhost,
}
