using System.CommandLine;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;

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
            var tenantId = parseResult.GetValue(tenant)!;
            Guid? keyId = null;
            if (parseResult.GetValue(key) is { } keyText)
            {
                keyId = Guid.TryParse(keyText, out var parsed) ? parsed : throw new BillingException($"tenant '{tenantId}' has no key '{keyText}'.");
            }

            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            await new BudgetRegistry(db).SetAsync(tenantId, keyId, amount, ct);
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
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var budgets = await new BudgetRegistry(db).ShowAsync(parseResult.GetValue(tenant)!, ct);
            var currency = budgets.Currency ?? "";
            var table = new TextTable("SCOPE", "MONTHLY_BUDGET", "SPENT_THIS_MONTH");
            table.Add("tenant " + budgets.TenantId, budgets.MonthlyBudget is { } b ? CliParsing.Money(b) : null, $"{CliParsing.Money(budgets.SpentThisMonth)} {currency}".Trim());
            foreach (var key in budgets.Keys)
            {
                table.Add($"key {key.Key.Id} ({key.Key.DisplayPrefix})", key.MonthlyBudget is { } kb ? CliParsing.Money(kb) : null, $"{CliParsing.Money(key.SpentThisMonth)} {currency}".Trim());
            }

            await table.WriteAsync(output);
            return 0;
        });
        return command;
    }
}
