using System.CommandLine;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Maas.Cli.Commands;

/// <summary>
/// `maas budget set|show`: monthly spend limits per tenant and per key, in the price book's currency. Tenant grains
/// re-read them with the tenant policy (Maas:Tenancy:PolicyRefreshInterval, 30 s by default).
/// </summary>
public static class BudgetCommands
{
    public static Command Create()
    {
        return new Command("budget", "Monthly spend limits per tenant and per key") { CreateSet(), CreateShow() };
    }

    private static Command CreateSet()
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant id", Required = true };
        var key = new Option<string?>("--key") { Description = "Set this key's budget (its id) instead of the tenant's" };
        var monthly = new Option<string>("--monthly") { Description = "Amount per calendar month (UTC), e.g. 250.00, or 'none' for no limit", Required = true };
        var command = new Command("set", "Set or clear a monthly budget") { tenant, key, monthly };
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            var text = parseResult.GetValue(monthly)!;
            decimal? amount = text.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : CliParsing.Amount(text, "--monthly");
            if (amount is < 0)
            {
                return await CliAction.FailAsync(parseResult, "a budget must not be negative.");
            }

            var tenantId = parseResult.GetValue(tenant)!;
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            if (parseResult.GetValue(key) is { } keyText)
            {
                var apiKey = Guid.TryParse(keyText, out var keyId) ? await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == keyId && k.TenantId == tenantId, ct) : null;
                if (apiKey is null)
                {
                    return await CliAction.FailAsync(parseResult, $"tenant '{tenantId}' has no key '{keyText}'.");
                }

                apiKey.MonthlyBudget = amount;
            }
            else
            {
                var row = await db.Tenants.SingleOrDefaultAsync(t => t.Id == tenantId, ct);
                if (row is null)
                {
                    return await CliAction.FailAsync(parseResult, $"tenant '{tenantId}' does not exist.");
                }

                row.MonthlyBudget = amount;
            }

            await db.SaveChangesAsync(ct);
            var what = parseResult.GetValue(key) is { } k ? $"key {k} of tenant {tenantId}" : $"tenant {tenantId}";
            await output.WriteLineAsync(amount is null ? $"{what}: no monthly budget" : $"{what}: monthly budget {CliParsing.Money(amount.Value)}");
            return 0;
        });
        return command;
    }

    private static Command CreateShow()
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant id", Required = true };
        var command = new Command("show", "Show a tenant's budgets and this month's recorded spend") { tenant };
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            var tenantId = parseResult.GetValue(tenant)!;
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var row = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == tenantId, ct);
            if (row is null)
            {
                return await CliAction.FailAsync(parseResult, $"tenant '{tenantId}' does not exist.");
            }

            var spent = await UsageReport.CostByKeyAsync(db, tenantId, UsageReport.MonthStart(DateTimeOffset.UtcNow), ct);
            var currency = (await new PriceBookRegistry(db).LoadAsync(ct)).Currency ?? "";
            var table = new TextTable("SCOPE", "MONTHLY_BUDGET", "SPENT_THIS_MONTH");
            table.Add("tenant " + tenantId, row.MonthlyBudget is { } b ? CliParsing.Money(b) : null, $"{CliParsing.Money(spent.Values.Sum())} {currency}".Trim());
            foreach (var key in await db.ApiKeys.AsNoTracking().Where(k => k.TenantId == tenantId).OrderBy(k => k.CreatedAt).ToListAsync(ct))
            {
                var keySpent = spent.GetValueOrDefault(key.Id.ToString("D"));
                table.Add($"key {key.Id} ({key.DisplayPrefix})", key.MonthlyBudget is { } kb ? CliParsing.Money(kb) : null, $"{CliParsing.Money(keySpent)} {currency}".Trim());
            }

            await table.WriteAsync(output);
            return 0;
        });
        return command;
    }
}
