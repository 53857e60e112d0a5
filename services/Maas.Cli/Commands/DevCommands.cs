using System.CommandLine;
using Maas.Infrastructure.Administration;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;
using Maas.Infrastructure.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Maas.Cli.Commands;

/// <summary>`maas dev seed`: idempotent data for `make run` (demo tenant, model and its price, a fresh key and a fresh portal administrator password each run).</summary>
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
        var adminUser = new Option<string?>("--admin-user") { Description = "Also create this portal administrator (or give it a new password) with a fresh password" };
        var adminPasswordFile = new Option<string?>("--admin-password-file") { Description = "Write the administrator's new password to this file (mode 600)" };

        var command = new Command("seed", "Create the demo tenant and model if missing, a fresh demo key and (with --admin-user) a portal administrator with a fresh password")
        {
            tenant, modelId, modelPath, keyFile, adminUser, adminPasswordFile,
        };
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
                await SecretFile.WriteAsync(file, issued.Secret, ct);
                await output.WriteLineAsync($"wrote the demo key to {Path.GetFullPath(file)}");
            }

            await output.WriteLineAsync($"demo key {issued.Key.Id} for tenant {tenantId}:");
            await output.WriteLineAsync(issued.Secret);

            if (parseResult.GetValue(adminUser) is { } user)
            {
                // A new password every run, like the key: nothing from an earlier run stays valid by accident.
                var password = PortalAdminRegistry.GeneratePassword();
                var admins = new PortalAdminRegistry(db);
                var admin = await admins.FindAsync(user, ct) is null
                    ? await admins.CreateAsync(user, password, ct)
                    : await admins.SetPasswordAsync(user, password, ct);
                if (parseResult.GetValue(adminPasswordFile) is { } passwordFile)
                {
                    await SecretFile.WriteAsync(passwordFile, password, ct);
                    await output.WriteLineAsync($"wrote the portal administrator's password to {Path.GetFullPath(passwordFile)}");
                }

                await output.WriteLineAsync($"portal administrator {admin.UserName}, password:");
                await output.WriteLineAsync(password);
            }
            return 0;
        });
        return command;
    }
}
