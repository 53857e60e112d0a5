using System.CommandLine;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;

namespace Maas.Cli.Commands;

/// <summary>`maas price set|list`: the effective-dated price book (per model, optionally per fine-tune).</summary>
public static class PriceCommands
{
    public static Command Create()
    {
        return new Command("price", "Model prices per million tokens (effective-dated)") { CreateSet(), CreateList() };
    }

    private static Command CreateSet()
    {
        var model = new Option<string>("--model") { Description = "Model id", Required = true };
        var fineTune = new Option<string?>("--fine-tune") { Description = "Price one fine-tune of the model (default: the base model and every fine-tune without its own price)" };
        var inputMiss = new Option<string>("--input-miss") { Description = "Price per million prompt tokens not served from the cache, e.g. 0.27", Required = true };
        var inputHit = new Option<string>("--input-hit") { Description = "Price per million prompt tokens served from the cache, e.g. 0.07", Required = true };
        var output = new Option<string>("--output") { Description = "Price per million completion tokens, e.g. 1.10", Required = true };
        var currency = new Option<string>("--currency") { Description = "ISO 4217 currency (one per deployment)", DefaultValueFactory = _ => "USD" };
        var batchDiscount = new Option<string>("--batch-discount") { Description = "Fraction off for batch jobs, e.g. 0.5", DefaultValueFactory = _ => "0" };
        var from = new Option<string?>("--from") { Description = "When the price takes effect (ISO 8601, UTC; default now)" };

        var command = new Command("set", "Add a price taking effect now or at --from (earlier prices stay for earlier usage)")
        {
            model, fineTune, inputMiss, inputHit, output, currency, batchDiscount, from,
        };
        command.SetMaasAction(async (parseResult, writer, ct) =>
        {
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var row = await new PriceBookRegistry(db).SetAsync(
                parseResult.GetValue(model)!,
                parseResult.GetValue(fineTune),
                CliParsing.Amount(parseResult.GetValue(inputMiss)!, "--input-miss"),
                CliParsing.Amount(parseResult.GetValue(inputHit)!, "--input-hit"),
                CliParsing.Amount(parseResult.GetValue(output)!, "--output"),
                parseResult.GetValue(currency)!,
                CliParsing.Amount(parseResult.GetValue(batchDiscount)!, "--batch-discount"),
                parseResult.GetValue(from) is { } text ? CliParsing.Time(text, "--from") : null,
                ct);
            await writer.WriteLineAsync(
                $"price {row.Id}: {row.Model}{(row.FineTune is null ? "" : "/" + row.FineTune)} from {row.EffectiveFrom:u}: " +
                $"input {row.InputCacheMissPerMillion} (cache hit {row.InputCacheHitPerMillion}), output {row.OutputPerMillion} {row.Currency} per million tokens, batch discount {row.BatchDiscount}");
            return 0;
        });
        return command;
    }

    private static Command CreateList()
    {
        var model = new Option<string?>("--model") { Description = "Only this model's prices" };
        var command = new Command("list", "List the price book (IN_EFFECT marks the rows in effect now)") { model };
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var registry = new PriceBookRegistry(db);
            var rows = await registry.ListAsync(parseResult.GetValue(model), ct);
            var book = new PriceBook(rows, DateTimeOffset.UtcNow);
            var table = new TextTable("ID", "MODEL", "FINE_TUNE", "EFFECTIVE_FROM", "INPUT_MISS", "INPUT_HIT", "OUTPUT", "CURRENCY", "BATCH_DISCOUNT", "IN_EFFECT");
            foreach (var p in rows)
            {
                var current = book.Find(p.Model, p.FineTune, DateTimeOffset.UtcNow)?.Id == p.Id;
                table.Add(p.Id, p.Model, p.FineTune, p.EffectiveFrom, p.InputCacheMissPerMillion, p.InputCacheHitPerMillion, p.OutputPerMillion, p.Currency, p.BatchDiscount, current);
            }

            await table.WriteAsync(output);
            return 0;
        });
        return command;
    }
}
