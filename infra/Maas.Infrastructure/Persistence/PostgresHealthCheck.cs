using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Maas.Infrastructure.Persistence;

/// <summary>Readiness: opens a connection and runs SELECT 1, with a short connect timeout so a dead server fails fast.</summary>
public sealed class PostgresHealthCheck(IOptions<PostgresOptions> options) : IHealthCheck
{
    private const int TimeoutSeconds = 3;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.Value.ConnectionString) { Timeout = TimeoutSeconds, CommandTimeout = TimeoutSeconds };
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy($"PostgreSQL {builder.Host}:{builder.Port} reachable");
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            return HealthCheckResult.Unhealthy($"PostgreSQL {builder.Host}:{builder.Port} unreachable: {ex.Message}", ex);
        }
    }
}
