namespace Maas.Testing;

/// <summary>What a silo needs to join a test cluster with localhost clustering: its database, the primary's silo port and the cluster id.</summary>
public sealed record PrimarySilo(string PostgresConnectionString, int SiloPort, string ClusterId);
