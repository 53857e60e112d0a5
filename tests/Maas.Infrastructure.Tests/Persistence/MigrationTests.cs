using Maas.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Maas.Infrastructure.Tests.Persistence;

public sealed class MigrationTests : IAsyncLifetime
{
    private PostgresTestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PostgresTestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Migrations_apply_to_a_fresh_database_and_create_the_tenancy_tables_with_the_expected_columns()
    {
        await using var db = _database.CreateContext();
        Assert.Contains("20261124010146_InitialCreate", await db.Database.GetAppliedMigrationsAsync());
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());

        var columns = await ColumnsAsync();
        Assert.Equal(
            ["allowed_models", "created_at", "disabled", "id", "max_concurrent_requests", "monthly_budget", "name", "plan", "requests_per_minute"],
            columns.GetValueOrDefault("tenants", []));
        Assert.Equal(
            ["created_at", "display_prefix", "id", "monthly_budget", "name", "requests_per_minute", "revoked_at", "secret_hash", "tenant_id"],
            columns.GetValueOrDefault("api_keys", []));
        Assert.Equal(["created_at", "enabled", "id", "owned_by", "path"], columns.GetValueOrDefault("models", []));
    }

    [Fact]
    public async Task Secret_hash_has_a_unique_index()
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT indexdef FROM pg_indexes WHERE tablename = 'api_keys'", connection);
        var definitions = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                definitions.Add(reader.GetString(0));
            }
        }

        Assert.Contains(definitions, d => d.StartsWith("CREATE UNIQUE INDEX", StringComparison.Ordinal) && d.Contains("(secret_hash)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_model_has_no_changes_missing_from_the_migrations()
    {
        // Fails when someone changes MaasDbContext without `dotnet ef migrations add` (see infra/Maas.Infrastructure/README.md).
        await using var db = _database.CreateContext();
        Assert.False(db.Database.HasPendingModelChanges());
    }

    private async Task<Dictionary<string, List<string>>> ColumnsAsync()
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, column_name", connection);
        var result = new Dictionary<string, List<string>>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var table = reader.GetString(0);
            if (!result.TryGetValue(table, out var list))
            {
                result[table] = list = [];
            }

            list.Add(reader.GetString(1));
        }

        return result;
    }
}
