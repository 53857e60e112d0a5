using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Maas.Infrastructure.Models;

public static class ModelCatalogServiceCollectionExtensions
{
    /// <summary>
    /// The model catalog ("Maas:Models") bound as <typeparamref name="TModel"/> and validated at start: the api binds
    /// <see cref="ServedModelOptions"/>, worker silos the same entries with their engine sizing.
    /// </summary>
    public static IServiceCollection AddMaasModelCatalog<TModel>(this IServiceCollection services)
        where TModel : ServedModelOptions
    {
        services.AddOptions<ModelCatalogOptions<TModel>>().BindConfiguration(ModelCatalogOptions<TModel>.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModelCatalogOptions<TModel>>, ModelCatalogOptionsValidator<TModel>>());
        return services;
    }
}
