using System.CommandLine;
using Maas.Infrastructure.Tenancy;
using Microsoft.Extensions.Configuration;

namespace Maas.Cli.Commands;

/// <summary>
/// The --postgres and --redis options every command inherits, and how they fall back:
/// option, else MAAS_POSTGRES / MAAS_REDIS, else ConnectionStrings__Postgres / __Redis, else the
/// loopback servers of infra/dev/deps.sh.
/// </summary>
public static class CliConnections
{
    public const string DefaultPostgres = "Host=127.0.0.1;Port=55432;Username=maas;Password=maas;Database=maas";
    public const string DefaultRedis = "127.0.0.1:56379";

    public const string PostgresOptionName = "--postgres";
    public const string RedisOptionName = "--redis";

    /// <summary>New instances per command tree: a symbol records its parents, so sharing one across trees would not be thread-safe.</summary>
    public static Option<string?> CreatePostgresOption() => new(PostgresOptionName)
    {
        Description = "PostgreSQL connection string (default: $MAAS_POSTGRES, $ConnectionStrings__Postgres, or the local dev database)",
        Recursive = true,
    };

    public static Option<string?> CreateRedisOption() => new(RedisOptionName)
    {
        Description = "Redis configuration, e.g. 127.0.0.1:56379 (default: $MAAS_REDIS, $ConnectionStrings__Redis, or the local dev Redis)",
        Recursive = true,
    };

    public static string Postgres(ParseResult parseResult) =>
        Resolve(ValueOf(parseResult, PostgresOptionName), "MAAS_POSTGRES", "ConnectionStrings__Postgres", DefaultPostgres);

    public static string Redis(ParseResult parseResult) =>
        Resolve(ValueOf(parseResult, RedisOptionName), "MAAS_REDIS", "ConnectionStrings__Redis", DefaultRedis);

    /// <summary>
    /// The revocation channel from the same setting the gateways read ("Maas:ApiKeys:RevocationChannel", i.e. the
    /// environment variable Maas__ApiKeys__RevocationChannel), so a changed setting cannot split publisher and listeners.
    /// </summary>
    public static ApiKeyRevocation Revocation()
    {
        var options = new ApiKeyRevocationOptions();
        new ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection(ApiKeyRevocationOptions.SectionName).Bind(options);
        return new ApiKeyRevocation(options.RevocationChannel);
    }

    private static string? ValueOf(ParseResult parseResult, string name)
    {
        var option = parseResult.RootCommandResult.Command.Options.OfType<Option<string?>>().FirstOrDefault(o => o.Name == name);
        return option is null ? null : parseResult.GetValue(option);
    }

    private static string Resolve(string? option, string primaryVariable, string secondaryVariable, string fallback)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return option;
        }

        foreach (var name in new[] { primaryVariable, secondaryVariable })
        {
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } value)
            {
                return value;
            }
        }

        return fallback;
    }
}
