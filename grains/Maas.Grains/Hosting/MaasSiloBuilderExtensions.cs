using Maas.Grains.Abstractions.Placement;
using Maas.Grains.Placement;
using Maas.Grains.Tenancy;
using Maas.Infrastructure.Metering;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Hosting;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Maas.Grains.Hosting;

public static class MaasSiloBuilderExtensions
{
    /// <summary>
    /// Everything every Maas silo needs: its role and served models in silo metadata (read by
    /// <see cref="WorkerPlacementDirector"/>), the placement director, grain options, and the price book tenant grains admit by.
    /// </summary>
    public static ISiloBuilder AddMaasGrains(this ISiloBuilder silo, string role, IEnumerable<string> servedModels)
    {
        silo.UseSiloMetadata(new Dictionary<string, string>
        {
            [SiloRoles.MetadataKey] = role,
            [SiloRoles.ModelsMetadataKey] = string.Join(',', servedModels),
        });
        silo.Services.AddSingleton(new SiloRole(role));
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.Services.AddPlacementDirector<WorkerPlacementStrategy, WorkerPlacementDirector>();
        silo.Services.AddOptions<TenantGrainOptions>().BindConfiguration(TenantGrainOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        silo.Services.AddMaasPriceBook();
        return silo;
    }

    /// <summary>Applies <see cref="OrleansHostingOptions"/> clustering.</summary>
    public static ISiloBuilder UseMaasClustering(this ISiloBuilder silo, OrleansHostingOptions options)
    {
        switch (options.Clustering)
        {
            case OrleansClustering.Localhost:
                silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, options.ParsePrimarySiloEndpoint(), options.ServiceId, options.ClusterId);
                break;
            default:
                throw new NotSupportedException($"Orleans clustering '{options.Clustering}' is not supported yet.");
        }

        return silo;
    }
}
