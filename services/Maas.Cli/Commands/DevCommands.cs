using System.CommandLine;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;
using Maas.Infrastructure.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Maas.Cli.Commands;

/// <summary>`maas dev seed`: idempotent data for `make run` (demo tenant, model and its price, and a fresh key each run).</summary>
public static class DevCommands
{
    public const string SeedKeyName = "dev-seed";

    /// <summary>The demo price (DeepSeek-V3's list price, USD per million tokens: cache-miss input, cache-hit input, output; half off for batch).</summary>
    public static readonly (decimal InputMiss, decimal InputHit, decimal Output, string Currency, decimal BatchDiscount) DemoPrice = (0.27m, 0.07m, 1.10m, "USD", 0.5m);

    public static Command Create()
    {
        return new Command("dev", "Local development helpers") { CreateSeed() };
    }

    private static Command CreateSeed()
    {
        var tenant = new Option<string>("--tenant") { Description = "Demo tenant id", DefaultValueFactory = _ => "demo" };
        var modelId = new Option<string>("--model-id") { Description = "Model id to register", Required = true };
        var modelPath = new Option<string>("--model-path") { Description = "Checkpoint folder of that model", Required = true };
        var keyFile = new Option<string?>("--key-file") { Description = "Also write the new key's secret to this file (mode 600)" };

        var command = new Command("seed", "Create the demo tenant and model if missing, and a fresh demo key") { tenant, modelId, modelPath, keyFile };
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            var tenantId = parseResult.GetValue(tenant)!;
            var id = parseResult.GetValue(modelId)!;
            var folder = Path.GetFullPath(parseResult.GetValue(modelPath)!);
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));

            var tenants = new TenantRegistry(db);
            if (await tenants.FindAsync(tenantId, ct) is null)
            {
                await tenants.CreateAsync(tenantId, "Demo tenant", allowedModels: null, maxConcurrentRequests: null, requestsPerMinute: null, ct);
                await output.WriteLineAsync($"created tenant {tenantId}");
            }

            var model = await db.Models.SingleOrDefaultAsync(m => m.Id == id, ct);
            if (model is null)
            {
                db.Models.Add(new ModelRegistration { Id = id, Path = folder, CreatedAt = DateTimeOffset.UtcNow });
                await output.WriteLineAsync($"registered model {id} -> {folder}");
            }
            else if (model.Path != folder)
            {
                await output.WriteLineAsync($"model {id}: path {model.Path} -> {folder}");
                model.Path = folder;
            }

            await db.SaveChangesAsync(ct);

            var prices = new PriceBookRegistry(db);
            if ((await prices.LoadAsync(ct)).Find(id, fineTune: null, DateTimeOffset.UtcNow) is null)
            {
                var (miss, hit, outputPrice, currency, discount) = DemoPrice;
                await prices.SetAsync(id, null, miss, hit, outputPrice, currency, discount, DateTimeOffset.UnixEpoch, ct);
                await output.WriteLineAsync($"priced model {id}: {miss}/{hit}/{outputPrice} {currency} per million tokens (input/cached input/output)");
            }

            var issued = await new ApiKeyRegistry(db).CreateAsync(tenantId, SeedKeyName, requestsPerMinute: null, ct);
            if (parseResult.GetValue(keyFile) is { } file)
            {
                await WriteSecretFileAsync(file, issued.Secret, ct);
                await output.WriteLineAsync($"wrote the demo key to {Path.GetFullPath(file)}");
            }

            await output.WriteLineAsync($"demo key {issued.Key.Id} for tenant {tenantId}:");
            await output.WriteLineAsync(issued.Secret);
            return 0;
        });
        return command;
    }

    private static async Task WriteSecretFileAsync(string file, string secret, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(file, options))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteLineAsync(secret.AsMemory(), cancellationToken);
        }

        // UnixCreateMode applies only to new files; an existing file keeps its mode unless set here.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
