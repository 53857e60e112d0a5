using System.CommandLine;
using Maas.Infrastructure.Persistence;
using Maas.Infrastructure.Tenancy;

namespace Maas.Cli.Commands;

/// <summary>`maas tenant create|set|list`.</summary>
public static class TenantCommands
{
    public static Command Create()
    {
        return new Command("tenant", "Tenants (customers)") { CreateCreate(), CreateSet(), CreateList() };
    }

    private static Command CreateCreate()
    {
        var id = new Option<string>("--id") { Description = "Tenant id: lower-case slug, e.g. acme", Required = true };
        var name = new Option<string>("--name") { Description = "Display name, e.g. \"Acme Plant 3\"", Required = true };
        var allowedModels = new Option<string?>("--allowed-models") { Description = "Comma-separated model ids the tenant may call (default: all)" };
        var maxConcurrent = new Option<int?>("--max-concurrent") { Description = "Concurrent requests allowed (default 16)" };
        var rpm = new Option<int?>("--rpm") { Description = "Requests per minute for the tenant (default 600)" };

        var command = new Command("create", "Create a tenant") { id, name, allowedModels, maxConcurrent, rpm };
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var models = parseResult.GetValue(allowedModels)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var tenant = await new TenantRegistry(db).CreateAsync(
                parseResult.GetValue(id)!, parseResult.GetValue(name)!, models, parseResult.GetValue(maxConcurrent), parseResult.GetValue(rpm), ct);
            await output.WriteLineAsync($"created tenant {tenant.Id} ({tenant.Name})");
            return 0;
        });
        return command;
    }

    private static Command CreateSet()
    {
        var id = new Option<string>("--id") { Description = "Tenant id", Required = true };
        var maxConcurrent = new Option<int?>("--max-concurrent") { Description = "Concurrent requests allowed" };
        var rpm = new Option<int?>("--rpm") { Description = "Requests per minute for the tenant" };
        var disabled = new Option<bool?>("--disabled") { Description = "true refuses every request of the tenant, false serves it again" };

        var command = new Command("set", "Change a tenant's limits or status (the options given)") { id, maxConcurrent, rpm, disabled };
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var (_, after) = await new TenantRegistry(db).SetLimitsAsync(
                parseResult.GetValue(id)!, parseResult.GetValue(maxConcurrent), parseResult.GetValue(rpm), parseResult.GetValue(disabled), ct);
            await output.WriteLineAsync($"tenant {parseResult.GetValue(id)}: max concurrent {after.MaxConcurrentRequests}, {after.RequestsPerMinute} requests per minute{(after.Disabled ? ", disabled" : "")}");
            return 0;
        });
        return command;
    }

    private static Command CreateList()
    {
        var command = new Command("list", "List tenants");
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var table = new TextTable("ID", "NAME", "PLAN", "ALLOWED_MODELS", "MAX_CONCURRENT", "RPM", "DISABLED", "CREATED");
            foreach (var t in await new TenantRegistry(db).ListAsync(ct))
            {
                table.Add(t.Id, t.Name, t.Plan, t.AllowedModels.Count == 0 ? "*" : string.Join(',', t.AllowedModels), t.MaxConcurrentRequests, t.RequestsPerMinute, t.Disabled, t.CreatedAt);
            }

            await table.WriteAsync(output);
            return 0;
        });
        return command;
    }
}
