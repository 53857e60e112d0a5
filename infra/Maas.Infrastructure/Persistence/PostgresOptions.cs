using System.ComponentModel.DataAnnotations;

namespace Maas.Infrastructure.Persistence;

/// <summary>Where PostgreSQL is (ConnectionStrings:Postgres) and whether to migrate at start (Maas:Database:MigrateOnStart).</summary>
public sealed class PostgresOptions
{
    public const string ConnectionStringName = "Postgres";
    public const string MigrateOnStartKey = "Maas:Database:MigrateOnStart";

    [Required(AllowEmptyStrings = false, ErrorMessage = "ConnectionStrings:Postgres (env ConnectionStrings__Postgres) is required.")]
    public string? ConnectionString { get; set; }

    /// <summary>Off by default: `maas db migrate` is the normal path, so several replicas do not race at start.</summary>
    public bool MigrateOnStart { get; set; }
}
