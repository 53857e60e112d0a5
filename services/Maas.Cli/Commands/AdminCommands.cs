using System.CommandLine;
using Maas.Infrastructure.Administration;
using Maas.Infrastructure.Persistence;

namespace Maas.Cli.Commands;

/// <summary>
/// `maas admin create|set-password|list`: administrators of the billing portal (services/Maas.Portal). Passwords come
/// from a file (never from the command line, where other users' `ps` could read them) or are generated and printed once.
/// </summary>
public static class AdminCommands
{
    public static Command Create()
    {
        return new Command("admin", "Administrators of the billing portal") { CreateCreate(), CreateSetPassword(), CreateList() };
    }

    private static Command CreateCreate()
    {
        var user = new Option<string>("--user") { Description = "Sign-in name, e.g. alice", Required = true };
        var passwordFile = new Option<string?>("--password-file") { Description = $"Read the password from this file's first line (at least {PortalAdminRegistry.MinimumPasswordLength} characters; default: generate one and print it)" };
        var command = new Command("create", "Create a portal administrator") { user, passwordFile };
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            var (password, generated) = await PasswordAsync(parseResult.GetValue(passwordFile), ct);
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var admin = await new PortalAdminRegistry(db).CreateAsync(parseResult.GetValue(user)!, password, ct);
            await output.WriteLineAsync($"created portal administrator {admin.UserName}");
            if (generated)
            {
                await output.WriteLineAsync("password (shown only now, store it safely):");
                await output.WriteLineAsync(password);
            }

            return 0;
        });
        return command;
    }

    private static Command CreateSetPassword()
    {
        var user = new Option<string>("--user") { Description = "Sign-in name", Required = true };
        var passwordFile = new Option<string?>("--password-file") { Description = "Read the new password from this file's first line (default: generate one and print it)" };
        var command = new Command("set-password", "Set an administrator's password and lift a lockout") { user, passwordFile };
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            var (password, generated) = await PasswordAsync(parseResult.GetValue(passwordFile), ct);
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var admin = await new PortalAdminRegistry(db).SetPasswordAsync(parseResult.GetValue(user)!, password, ct);
            await output.WriteLineAsync($"new password set for {admin.UserName}");
            if (generated)
            {
                await output.WriteLineAsync(password);
            }

            return 0;
        });
        return command;
    }

    private static Command CreateList()
    {
        var command = new Command("list", "List portal administrators (never shows passwords)");
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var table = new TextTable("USER", "CREATED", "LAST_SIGN_IN", "LOCKED_UNTIL");
            foreach (var a in await new PortalAdminRegistry(db).ListAsync(ct))
            {
                table.Add(a.UserName, a.CreatedAt, a.LastSignInAt, a.LockedUntil);
            }

            await table.WriteAsync(output);
            return 0;
        });
        return command;
    }

    private static async Task<(string Password, bool Generated)> PasswordAsync(string? file, CancellationToken cancellationToken) =>
        file is null ? (PortalAdminRegistry.GeneratePassword(), true) : (await SecretFile.ReadAsync(file, cancellationToken), false);
}
