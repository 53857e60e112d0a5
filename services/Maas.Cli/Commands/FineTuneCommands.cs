using System.CommandLine;
using Maas.Checkpoints;
using Maas.Engine.Tools.Checkpoints;
using Maas.Generation.FineTunes;
using Maas.Infrastructure.OpenAi;
using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Maas.Cli.Commands;

/// <summary>
/// `maas finetune init-random|upload|list|delete`: tenant fine-tunes (ESFT replacement experts) through the same
/// <see cref="FineTuneStore"/> as POST/GET/DELETE /v1/fine_tunes, plus a random fine-tune writer for tests and benchmarks.
/// </summary>
public static class FineTuneCommands
{
    public static Command Create() =>
        new("finetune", "Tenant fine-tunes: replacement routed experts of a base model (ESFT format)")
        {
            CreateInitRandom(), CreateUpload(), CreateList(), CreateDelete(),
        };

    private static Command CreateInitRandom()
    {
        var baseFolder = new Option<string>("--base") { Description = "Base checkpoint folder", Required = true };
        var experts = new Option<string?>("--experts") { Description = "Replaced experts, \"layer:id,id;layer:id\" (e.g. \"1:3,5;2:0,7\")" };
        var fraction = new Option<double?>("--fraction") { Description = "Instead of --experts: this fraction of every MoE layer's routed experts, chosen by --seed (ESFT picks 0.05-0.15)" };
        var output = new Option<string>("--out") { Description = "Output folder", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 4321 };
        var command = new Command("init-random", "Write a random fine-tune (expert_cfg.json + model.safetensors) of a base checkpoint")
        {
            baseFolder, experts, fraction, output, seed,
        };
        command.SetMaasAction(async (parseResult, console, cancellationToken) =>
        {
            var folder = Path.GetFullPath(parseResult.GetValue(baseFolder)!);
            Dictionary<int, int[]> chosen;
            try
            {
                chosen = parseResult.GetValue(experts) is { } text
                    ? RandomFineTuneWriter.ParseExperts(text)
                    : parseResult.GetValue(fraction) is { } f
                        ? RandomFineTuneWriter.SpreadExperts(ModelConfig.Load(folder), f, parseResult.GetValue(seed))
                        : throw new FormatException("give --experts or --fraction");
                var manifest = RandomFineTuneWriter.Write(folder, chosen, Path.GetFullPath(parseResult.GetValue(output)!), parseResult.GetValue(seed));
                await console.WriteLineAsync($"wrote {manifest.Folder}: {manifest.ExpertCount} experts in {manifest.Experts.Count} layers, {manifest.WeightBytes / 1e6:F1} MB");
                return 0;
            }
            catch (Exception ex) when (ex is FormatException or CheckpointException)
            {
                return await CliAction.FailAsync(parseResult, ex.Message);
            }
        });
        return command;
    }

    private static readonly Option<string> ArtifactRoot = new("--artifact-root")
    {
        Description = "The artifact store folder the api uses (Maas:FineTunes:ArtifactRoot)",
        Required = true,
    };

    private static readonly Option<string> Tenant = new("--tenant") { Description = "Tenant id", Required = true };

    private static Command CreateUpload()
    {
        var model = new Option<string>("--model") { Description = "Base model id", Required = true };
        var name = new Option<string>("--name") { Description = "Fine-tune name (A-Z a-z 0-9 . _ -)", Required = true };
        var from = new Option<string>("--from") { Description = "The fine-tune: an ESFT folder or a .tar of one", Required = true };
        var baseFolder = new Option<string?>("--base") { Description = "Base checkpoint folder to validate against (default: the model's path in the models table)" };
        var command = new Command("upload", "Register a new version of a tenant's fine-tune") { Tenant, model, name, from, baseFolder, ArtifactRoot };
        command.SetMaasAction(async (parseResult, console, ct) =>
        {
            var modelId = parseResult.GetValue(model)!;
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var basePath = parseResult.GetValue(baseFolder)
                ?? (await db.Models.AsNoTracking().FirstOrDefaultAsync(m => m.Id == modelId, ct))?.Path;
            if (basePath is null)
            {
                return await CliAction.FailAsync(parseResult, $"model '{modelId}' is not in the models table; give its checkpoint folder with --base");
            }

            var store = new FineTuneStore(parseResult.GetValue(ArtifactRoot)!, TimeProvider.System);
            var staging = store.NewStagingFolder();
            try
            {
                var source = Path.GetFullPath(parseResult.GetValue(from)!);
                if (File.Exists(source))
                {
                    await using var tar = File.OpenRead(source);
                    await FineTuneStore.ExtractTarAsync(tar, staging, long.MaxValue, ct);
                }
                else if (Directory.Exists(source))
                {
                    foreach (var file in Directory.GetFiles(source))
                    {
                        await using var content = File.OpenRead(file);
                        await FineTuneStore.SaveFileAsync(Path.GetFileName(file), content, staging, long.MaxValue, ct);
                    }
                }
                else
                {
                    return await CliAction.FailAsync(parseResult, $"{source} does not exist");
                }

                var row = await store.RegisterAsync(db, parseResult.GetValue(Tenant)!, parseResult.GetValue(name)!, modelId, basePath, staging, ct);
                await console.WriteLineAsync($"uploaded {row.Id} version {row.Version}: {row.ExpertCount} experts, {row.WeightBytes} bytes, {row.Digest}");
                return 0;
            }
            catch (ApiErrorException ex)
            {
                return await CliAction.FailAsync(parseResult, ex.Error.Error.Message);
            }
            finally
            {
                FineTuneStore.Discard(staging);
            }
        });
        return command;
    }

    private static Command CreateList()
    {
        var command = new Command("list", "List a tenant's fine-tunes (latest version of each)") { Tenant };
        command.SetMaasAction(async (parseResult, console, ct) =>
        {
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var table = new TextTable("ID", "VERSION", "EXPERTS", "BYTES", "DIGEST", "CREATED");
            foreach (var f in await FineTuneStore.ListAsync(db, parseResult.GetValue(Tenant)!, ct))
            {
                table.Add(f.Id, f.Version, f.ExpertCount, f.WeightBytes, f.Digest, f.CreatedAt);
            }

            await table.WriteAsync(console);
            return 0;
        });
        return command;
    }

    private static Command CreateDelete()
    {
        var id = new Option<string>("--id") { Description = "Fine-tune id, ft:{base}:{tenant}:{name}", Required = true };
        var command = new Command("delete", "Delete every version of a tenant's fine-tune") { Tenant, id, ArtifactRoot };
        command.SetMaasAction(async (parseResult, console, ct) =>
        {
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var store = new FineTuneStore(parseResult.GetValue(ArtifactRoot)!, TimeProvider.System);
            var deleted = await store.DeleteAsync(db, parseResult.GetValue(Tenant)!, parseResult.GetValue(id)!, ct);
            if (deleted.Count == 0)
            {
                return await CliAction.FailAsync(parseResult, $"no fine-tune {parseResult.GetValue(id)} of tenant {parseResult.GetValue(Tenant)}");
            }

            // The CLI is no cluster client: workers holding the experts stop when idle; no new request can use them.
            await console.WriteLineAsync($"deleted {deleted.Count} version(s) of {parseResult.GetValue(id)}; workers unload them when idle (DELETE /v1/fine_tunes unloads at once)");
            return 0;
        });
        return command;
    }
}
