using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Maas.Testing;

/// <summary>
/// A fresh, uniquely named database on the real test PostgreSQL with the current schema applied (or, from
/// <see cref="CreateEmptyAsync"/>, none), dropped on dispose, so test classes and projects can run side by side.
/// </summary>
public sealed class PostgresTestDatabase : IAsyncDisposable
{
    private PostgresTestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static async Task<PostgresTestDatabase> CreateAsync(CancellationToken cancellationToken = default)
    {
        var database = await CreateDatabaseAsync("maas_test_", cancellationToken);
        await using var db = database.CreateContext();
        if (db.Database.GetMigrations().Any())
        {
            await db.Database.MigrateAsync(cancellationToken);
        }
        else
        {
            await db.Database.EnsureCreatedAsync(cancellationToken);
        }

        return database;
    }

    /// <summary>A fresh database with no schema at all, for tests of the migration paths themselves.</summary>
    public static Task<PostgresTestDatabase> CreateEmptyAsync(CancellationToken cancellationToken = default) =>
        CreateDatabaseAsync("maas_test_empty_", cancellationToken);

    public MaasDbContext CreateContext()
    {
        var options = new DbContextOptionsBuilder<MaasDbContext>().UseNpgsql(ConnectionString).Options;
        return new MaasDbContext(options);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(TestEnvironment.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<PostgresTestDatabase> CreateDatabaseAsync(string prefix, CancellationToken cancellationToken)
    {
        var admin = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString);
        var name = prefix + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return new PostgresTestDatabase(name, new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = name }.ConnectionString);
    }
}
