using System.CommandLine;
using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Maas.Cli.Commands;

/// <summary>`maas db migrate`: applies the EF Core migrations in Maas.Infrastructure.</summary>
public static class DbCommands
{
    public static Command Create()
    {
        var migrate = new Command("migrate", "Apply pending schema migrations to PostgreSQL");
        migrate.SetMaasAction(async (parseResult, output, ct) =>
        {
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
            if (pending.Count == 0)
            {
                await output.WriteLineAsync("database schema is up to date");
                return 0;
            }

            await db.Database.MigrateAsync(ct);
            foreach (var migration in pending)
            {
                await output.WriteLineAsync("applied " + migration);
            }

            return 0;
        });

        return new Command("db", "Database schema") { migrate };
    }
}
