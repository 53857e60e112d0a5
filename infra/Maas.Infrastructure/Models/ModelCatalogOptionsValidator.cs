using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Maas.Infrastructure.Models;

/// <summary>Checks each model entry (its data annotations, the engine's too on workers) and that ids are unique.</summary>
public sealed class ModelCatalogOptionsValidator<TModel> : IValidateOptions<ModelCatalogOptions<TModel>>
    where TModel : ServedModelOptions
{
    public ValidateOptionsResult Validate(string? name, ModelCatalogOptions<TModel> options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.Models.Count; i++)
        {
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(options.Models[i], new ValidationContext(options.Models[i]), results, validateAllProperties: true))
            {
                failures.AddRange(results.Select(r => $"Maas:Models:{i}: {r.ErrorMessage}"));
            }
        }

        failures.AddRange(options.Models.GroupBy(m => m.Id, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => $"Maas:Models: id '{g.Key}' is configured more than once."));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
