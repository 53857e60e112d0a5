using System.CommandLine;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;

namespace Maas.Cli.Commands;

/// <summary>`maas usage --tenant ... --from ... --to ...`: a tenant's usage and cost from the hourly rollups (the query of GET /v1/usage).</summary>
public static class UsageCommands
{
    public static Command Create()
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant id", Required = true };
        var from = new Option<string>("--from") { Description = "Start (ISO 8601, UTC), e.g. 2026-11-01", Required = true };
        var to = new Option<string?>("--to") { Description = "End, exclusive (default now)" };
        var groupBy = new Option<string>("--group-by") { Description = "Comma-separated: day, model, key (default model)", DefaultValueFactory = _ => "model" };

        var command = new Command("usage", "A tenant's usage and cost over a range (whole UTC hours)") { tenant, from, to, groupBy };
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            var grouping = UsageReport.ParseGrouping(parseResult.GetValue(groupBy)!);
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var end = parseResult.GetValue(to) is { } text ? CliParsing.Time(text, "--to") : DateTimeOffset.UtcNow;
            var rows = await UsageReport.QueryAsync(db, parseResult.GetValue(tenant)!, CliParsing.Time(parseResult.GetValue(from)!, "--from"), end, grouping, ct);
            var currency = (await new PriceBookRegistry(db).LoadAsync(ct)).Currency ?? "";
            var table = new TextTable("FROM", "TO", "MODEL", "KEY", "REQUESTS", "PROMPT_TOKENS", "CACHED_TOKENS", "COMPLETION_TOKENS", "COST");
            foreach (var r in rows)
            {
                table.Add(r.Start, r.End, r.Model, r.KeyId, r.Requests, r.PromptTokens, r.CachedPromptTokens, r.CompletionTokens, $"{r.Cost} {currency}".Trim());
            }

            await table.WriteAsync(output);
            if (rows.Count > 0)
            {
                await output.WriteLineAsync($"total {rows.Sum(r => r.Requests)} requests, {rows.Sum(r => r.Cost)} {currency}".Trim());
            }

            return 0;
        });
        return command;
    }
}
