using System.CommandLine;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Maas.Cli.Commands;

/// <summary>
/// `maas model add|list`: the served-model registry (models table), with each model's price in effect (MISSING is a
/// configuration error: the api refuses the model's requests). Engine commands live in their own classes.
/// </summary>
public static class ModelCommands
{
    public static Command Create()
    {
        return new Command("model", "Served models and checkpoints") { CreateAdd(), CreateList() };
    }

    private static Command CreateAdd()
    {
        var id = new Option<string>("--id") { Description = "Public model id (the OpenAI \"model\" field), e.g. deepseek-demo", Required = true };
        var path = new Option<string>("--path") { Description = "Checkpoint folder (config.json, *.safetensors, tokenizer.json) as the workers see it", Required = true };
        var ownedBy = new Option<string?>("--owned-by") { Description = "owned_by in /v1/models (default maas)" };

        var command = new Command("add", "Register a model") { id, path, ownedBy };
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            var modelId = parseResult.GetValue(id)!;
            var folder = Path.GetFullPath(parseResult.GetValue(path)!);
            if (!File.Exists(Path.Combine(folder, "config.json")))
            {
                // Workers may see paths this machine does not, so this is only a warning.
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"warning: {folder}/config.json not found on this machine");
            }

            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            if (await db.Models.AnyAsync(m => m.Id == modelId, ct))
            {
                return await CliAction.FailAsync(parseResult, $"model '{modelId}' already exists.");
            }

            db.Models.Add(new ModelRegistration { Id = modelId, Path = folder, OwnedBy = parseResult.GetValue(ownedBy) ?? "maas", CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync(ct);
            await output.WriteLineAsync($"added model {modelId} -> {folder}");
            return 0;
        });
        return command;
    }

    private static Command CreateList()
    {
        var command = new Command("list", "List registered models");
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var prices = await new PriceBookRegistry(db).LoadAsync(ct);
            var table = new TextTable("ID", "PATH", "OWNED_BY", "ENABLED", "CREATED", "PRICE_PER_M (IN/CACHED/OUT)");
            var missing = new List<string>();
            foreach (var m in await db.Models.AsNoTracking().OrderBy(m => m.Id).ToListAsync(ct))
            {
                var price = prices.Find(m.Id, fineTune: null, DateTimeOffset.UtcNow);
                if (price is null && m.Enabled)
                {
                    missing.Add(m.Id);
                }

                table.Add(m.Id, m.Path, m.OwnedBy, m.Enabled, m.CreatedAt,
                    price is null ? "MISSING" : $"{price.InputCacheMissPerMillion}/{price.InputCacheHitPerMillion}/{price.OutputPerMillion} {price.Currency}");
            }

            await table.WriteAsync(output);
            if (missing.Count > 0)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync(
                    $"warning: no price in effect for {string.Join(", ", missing)}: their requests are refused until `maas price set --model <id> ...`");
            }

            return 0;
        });
        return command;
    }
}
