using Maas.Api.Gateway;
using Maas.Generation.FineTunes;
using Maas.Generation.Models;
using Maas.Grains.Abstractions.Tenancy;
using Maas.Infrastructure.FineTunes;
using Maas.Infrastructure.OpenAi;

namespace Maas.Api.Models;

/// <summary>
/// GET /v1/models and GET /v1/models/{id}: only the models the calling tenant may use, and its own fine-tunes
/// ("ft:{base}:{tenant}:{name}", owned by the tenant) of those models.
/// </summary>
public static class ModelsEndpoints
{
    public static RouteGroupBuilder MapModelsEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGet("/models", ListAsync);
        v1.MapGet("/models/{**id}", GetAsync);
        return v1;
    }

    private static async Task ListAsync(HttpContext context, ServedModelCatalog catalog, FineTuneDirectory fineTunes, IGrainFactory grains)
    {
        var tenant = context.GetRequestIdentity().TenantId;
        var policy = await grains.GetGrain<ITenantGrain>(tenant).GetPolicyAsync();
        var served = catalog.All.Where(m => policy.Allows(m.Id)).ToArray();
        var own = (await fineTunes.ListAsync(tenant, context.RequestAborted))
            .Where(f => served.Any(m => m.Id == f.BaseModel))
            .Select(f => new ModelCard(f.Id, f.CreatedAt.ToUnixTimeSeconds(), f.TenantId));
        var cards = served.Select(ModelCard.From).Concat(own).ToArray();
        await context.Response.WriteAsJsonAsync(new ModelList(cards), OpenAiJson.Options, context.RequestAborted);
    }

    private static async Task GetAsync(HttpContext context, string id, ServedModelCatalog catalog, FineTuneDirectory fineTunes, IGrainFactory grains)
    {
        var tenant = context.GetRequestIdentity().TenantId;
        var policy = await grains.GetGrain<ITenantGrain>(tenant).GetPolicyAsync();
        if (FineTuneName.IsFineTune(id))
        {
            if (await fineTunes.FindAsync(tenant, id, context.RequestAborted) is not { } fineTune || catalog.Find(fineTune.BaseModel) is null || !policy.Allows(fineTune.BaseModel))
            {
                await ApiError.ModelNotFound(id).WriteAsync(context);
                return;
            }

            await context.Response.WriteAsJsonAsync(new ModelCard(fineTune.Id, fineTune.CreatedAt.ToUnixTimeSeconds(), fineTune.TenantId), OpenAiJson.Options, context.RequestAborted);
            return;
        }

        if (catalog.Find(id) is not { } model || !policy.Allows(model.Id))
        {
            await ApiError.ModelNotFound(id).WriteAsync(context);
            return;
        }

        await context.Response.WriteAsJsonAsync(ModelCard.From(model), OpenAiJson.Options, context.RequestAborted);
    }
}
