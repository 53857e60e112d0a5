using System.Text.Json;
using Maas.Infrastructure.OpenAi;
using Maas.Infrastructure.Tenancy;
using Maas.Plant.Mqtt;
using Maas.Plant.Responses;

namespace Maas.Plant.Http;

/// <summary>
/// GET /plant/v1/responses/{requestId}: a stored response of the caller's tenant, for plants that reconnect elsewhere
/// than over MQTT. 200 with the whole response (completion object or OpenAI error), 202 while it is being generated,
/// 404 for an id the tenant never published (or whose response passed its retention).
/// </summary>
public static class ResponseEndpoints
{
    public static IEndpointRouteBuilder MapResponseEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/plant/v1/responses/{requestId}", async (string requestId, HttpContext context, PlantResponseStore store) =>
        {
            var caller = context.Features.Get<GatewayCaller>() ?? throw new InvalidOperationException("No verified caller.");
            if (!PlantTopics.IsValidRequestId(requestId))
            {
                await ApiError.InvalidValue("requestId", $"A request id is 1 to {PlantTopics.MaxRequestIdLength} letters, digits or '-_.:'.").WriteAsync(context);
                return;
            }

            var stored = await store.GetAsync(caller.TenantId, requestId, context.RequestAborted);
            if (stored is null)
            {
                await ApiError.Of(StatusCodes.Status404NotFound, $"No response for request '{requestId}'.", ApiError.InvalidRequest, "response_not_found", null).WriteAsync(context);
                return;
            }

            context.Response.ContentType = "application/json";
            if (stored.Status != PlantResponseStore.Completed)
            {
                context.Response.StatusCode = StatusCodes.Status202Accepted;
                await context.Response.WriteAsync(JsonSerializer.Serialize(new { id = requestId, status = stored.Status }, OpenAiJson.Options), context.RequestAborted);
                return;
            }

            await context.Response.WriteAsync(stored.Response!, context.RequestAborted);
        });
        return app;
    }
}
