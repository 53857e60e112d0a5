using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Maas.Grains.Hosting;

public static class MaasSiloHostingExtensions
{
    /// <summary>
    /// Makes this process an Orleans silo of the Maas cluster: "Maas:Orleans" settings over the role's
    /// <see cref="SiloDefaults"/>, validated now (a bad port or endpoint stops start-up with the setting's name),
    /// clustering, and <see cref="MaasSiloBuilderExtensions.AddMaasGrains"/> with the role and served models.
    /// </summary>
    public static TBuilder AddMaasSilo<TBuilder>(this TBuilder builder, SiloDefaults defaults, IEnumerable<string> servedModels, Action<ISiloBuilder>? configure = null)
        where TBuilder : IHostApplicationBuilder
    {
        var options = (builder.Configuration.GetSection(OrleansHostingOptions.SectionName).Get<OrleansHostingOptions>() ?? new OrleansHostingOptions()).WithDefaults(defaults);
        var failures = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), failures, validateAllProperties: true))
        {
            throw new OptionsValidationException(OrleansHostingOptions.SectionName, typeof(OrleansHostingOptions), [.. failures.Select(f => f.ErrorMessage ?? "invalid")]);
        }

        var models = servedModels.ToArray();
        builder.UseOrleans(silo =>
        {
            silo.UseMaasClustering(options).AddMaasGrains(defaults.Role, models);
            configure?.Invoke(silo);
        });
        return builder;
    }
}
