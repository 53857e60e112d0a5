using Microsoft.EntityFrameworkCore.Design;

namespace Maas.Infrastructure.Persistence;

/// <summary>
/// Lets `dotnet ef` build the context without starting a service. Uses MAAS_POSTGRES when set,
/// else the loopback database of infra/dev/deps.sh (only `dotnet ef database update` connects).
/// </summary>
public sealed class MaasDesignTimeDbContextFactory : IDesignTimeDbContextFactory<MaasDbContext>
{
    public const string DevelopmentConnectionString = "Host=127.0.0.1;Port=55432;Username=maas;Password=maas;Database=maas";

    public MaasDbContext CreateDbContext(string[] args)
    {
        var connectionString = Environment.GetEnvironmentVariable("MAAS_POSTGRES") is { Length: > 0 } cs ? cs : DevelopmentConnectionString;
        return MaasDbContext.Create(connectionString);
    }
}
