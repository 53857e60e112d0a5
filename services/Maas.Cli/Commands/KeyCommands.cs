using System.CommandLine;
using Maas.Infrastructure.Persistence;
using Maas.Infrastructure.Redis;
using Maas.Infrastructure.Tenancy;
using StackExchange.Redis;

namespace Maas.Cli.Commands;

/// <summary>`maas key create|list|revoke`. Secrets are printed once at creation and never stored or listed.</summary>
public static class KeyCommands
{
    private const int RedisConnectTimeoutMilliseconds = 3000;

    public static Command Create()
    {
        return new Command("key", "API keys") { CreateCreate(), CreateList(), CreateRevoke() };
    }

    private static Command CreateCreate()
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant id the key belongs to", Required = true };
        var name = new Option<string?>("--name") { Description = "A label for people, e.g. \"line-3 HMI\"" };
        var rpm = new Option<int?>("--rpm") { Description = "Requests per minute for this key (default: the tenant's)" };

        var command = new Command("create", "Create a key and print its secret once") { tenant, name, rpm };
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var issued = await new ApiKeyRegistry(db).CreateAsync(parseResult.GetValue(tenant)!, parseResult.GetValue(name), parseResult.GetValue(rpm), ct);
            await output.WriteLineAsync($"created key {issued.Key.Id} ({issued.Key.DisplayPrefix}...) for tenant {issued.Key.TenantId}");
            await output.WriteLineAsync("secret (shown only now, store it safely):");
            await output.WriteLineAsync(issued.Secret);
            return 0;
        });
        return command;
    }

    private static Command CreateList()
    {
        var tenant = new Option<string?>("--tenant") { Description = "Only this tenant's keys" };
        var command = new Command("list", "List keys (never shows secrets)") { tenant };
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var table = new TextTable("ID", "PREFIX", "TENANT", "NAME", "RPM", "CREATED", "REVOKED");
            foreach (var k in await new ApiKeyRegistry(db).ListAsync(parseResult.GetValue(tenant), ct))
            {
                table.Add(k.Id, k.DisplayPrefix, k.TenantId, k.Name.Length == 0 ? null : k.Name, k.RequestsPerMinute, k.CreatedAt, k.RevokedAt);
            }

            await table.WriteAsync(output);
            return 0;
        });
        return command;
    }

    private static Command CreateRevoke()
    {
        var key = new Argument<string>("key") { Description = "Key id, or its display prefix (e.g. sk-maas-AbCd)" };
        var command = new Command("revoke", "Revoke a key and tell the gateways at once") { key };
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var redisConfiguration = CliConnections.Redis(parseResult);
            IConnectionMultiplexer? redis = null;
            string? connectError = null;
            try
            {
                redis = await RedisConnectionFactory.ConnectAsync(redisConfiguration, RedisConnectTimeoutMilliseconds, ct);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                connectError = ex.Message;
            }

            try
            {
                var result = await new ApiKeyRevoker(db, CliConnections.Revocation()).RevokeAsync(parseResult.GetValue(key)!, tenantId: null, redis, ct);
                var revoked = result.Key;
                await output.WriteLineAsync($"revoked key {revoked.Id} ({revoked.DisplayPrefix}...) of tenant {revoked.TenantId} at {revoked.RevokedAt:u}");
                if (result.Announced)
                {
                    await output.WriteLineAsync($"published on {result.Channel} ({result.Receivers} subscribers)");
                    return 0;
                }

                // The database is the source of truth; the notification only shortens gateway cache lifetimes.
                return await CliAction.FailAsync(parseResult,
                    $"the key is revoked in the database, but notifying gateways through Redis {redisConfiguration} failed ({connectError ?? result.AnnouncementError}); gateways drop it when their key cache expires. Re-run this command to retry the notification.");
            }
            finally
            {
                if (redis is not null)
                {
                    await redis.DisposeAsync();
                }
            }
        });
        return command;
    }
}
