using Maas.Api.Gateway;
using Maas.Generation.Models;
using Maas.Grains.Abstractions.Tenancy;
using Maas.Infrastructure.OpenAi;

namespace Maas.Api.Models;

/// <summary>GET /v1/models and GET /v1/models/{id}: only the models the calling tenant may use.</summary>
public static class ModelsEndpoints
{
    public static RouteGroupBuilder MapModelsEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGet("/models", ListAsync);
        v1.MapGet("/models/{**id}", GetAsync);
        return v1;
    }

    private static async Task ListAsync(HttpContext context, ServedModelCatalog catalog, IGrainFactory grains)
    {
        var policy = await grains.GetGrain<ITenantGrain>(context.GetRequestIdentity().TenantId).GetPolicyAsync();
        var cards = catalog.All.Where(m => policy.Allows(m.Id)).Select(ModelCard.From).ToArray();
        await context.Response.WriteAsJsonAsync(new ModelList(cards), OpenAiJson.Options, context.RequestAborted);
    }

    private static async Task GetAsync(HttpContext context, string id, ServedModelCatalog catalog, IGrainFactory grains)
    {
        var policy = await grains.GetGrain<ITenantGrain>(context.GetRequestIdentity().TenantId).GetPolicyAsync();
        if (catalog.Find(id) is not { } model || !policy.Allows(model.Id))
        {
            await ApiError.ModelNotFound(id).WriteAsync(context);
            return;
        }

        await context.Response.WriteAsJsonAsync(ModelCard.From(model), OpenAiJson.Options, context.RequestAborted);
    }
}
