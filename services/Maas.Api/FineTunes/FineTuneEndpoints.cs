using Maas.Api.Gateway;
using Maas.Generation.FineTunes;
using Maas.Generation.Models;
using Maas.Grains.Abstractions.Tenancy;
using Maas.Infrastructure.FineTunes;
using Maas.Infrastructure.OpenAi;
using Maas.Infrastructure.Persistence;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Maas.Api.FineTunes;

/// <summary>
/// The tenant's fine-tunes: POST /v1/fine_tunes uploads one (a .tar body with ?model=&amp;name=, or multipart/form-data
/// with fields model and name and the files, or a .tar, as file parts), GET lists them or shows one, DELETE removes one
/// (every version; unloaded on every worker). Names of other tenants' fine-tunes answer 404 everywhere.
/// </summary>
public static class FineTuneEndpoints
{
    public static RouteGroupBuilder MapFineTuneEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapPost("/fine_tunes", UploadAsync);
        v1.MapGet("/fine_tunes", ListAsync);
        v1.MapGet("/fine_tunes/{**id}", GetAsync);
        v1.MapDelete("/fine_tunes/{**id}", DeleteAsync);
        return v1;
    }

    private static async Task UploadAsync(HttpContext context, FineTuneDirectory fineTunes, ServedModelCatalog catalog, IGrainFactory grains, MaasDbContext db)
    {
        var identity = context.GetRequestIdentity();
        var cancellationToken = context.RequestAborted;
        var store = fineTunes.Store;
        var maxBytes = fineTunes.Options.MaxUploadBytes;
        var staging = store.NewStagingFolder();
        try
        {
            string? model = context.Request.Query["model"];
            string? name = context.Request.Query["name"];
            if (MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type) && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            {
                var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
                if (string.IsNullOrEmpty(boundary))
                {
                    throw new ApiErrorException(ApiError.InvalidValue("body", "A multipart/form-data body needs a boundary.", "invalid_request_body"));
                }

                (model, name) = await ReadMultipartAsync(new MultipartReader(boundary, context.Request.Body), staging, maxBytes, model, name, cancellationToken);
            }
            else
            {
                await FineTuneStore.ExtractTarAsync(context.Request.Body, staging, maxBytes, cancellationToken);
            }

            if (string.IsNullOrEmpty(model))
            {
                throw new ApiErrorException(ApiError.Missing("model"));
            }

            if (string.IsNullOrEmpty(name))
            {
                throw new ApiErrorException(ApiError.Missing("name"));
            }

            var policy = await grains.GetGrain<ITenantGrain>(identity.TenantId).GetPolicyAsync();
            if (catalog.Find(model) is not { } baseModel || !policy.Allows(baseModel.Id))
            {
                throw new ApiErrorException(ApiError.ModelNotFound(model));
            }

            var row = await store.RegisterAsync(db, identity.TenantId, name, baseModel.Id, baseModel.Path, staging, cancellationToken);
            context.Response.StatusCode = StatusCodes.Status201Created;
            await context.Response.WriteAsJsonAsync(FineTuneCard.From(row), OpenAiJson.Options, cancellationToken);
        }
        catch (ApiErrorException ex)
        {
            await ex.Error.WriteAsync(context);
        }
        catch (BadHttpRequestException ex)
        {
            await (ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? ApiError.PayloadTooLarge() : ApiError.UnreadableBody(ex.StatusCode)).WriteAsync(context);
        }
        catch (InvalidDataException ex)
        {
            await ApiError.InvalidValue("body", $"The multipart body could not be read: {ex.Message}", "invalid_request_body").WriteAsync(context);
        }
        finally
        {
            FineTuneStore.Discard(staging);
        }
    }

    /// <summary>Fields "model" and "name"; every file part is either the ESFT files themselves or a .tar of them.</summary>
    private static async Task<(string? Model, string? Name)> ReadMultipartAsync(MultipartReader reader, string staging, long maxBytes, string? model, string? name, CancellationToken cancellationToken)
    {
        while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
            {
                continue;
            }

            var field = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
            var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
            if (string.IsNullOrEmpty(fileName))
            {
                using var text = new StreamReader(section.Body);
                var value = (await text.ReadToEndAsync(cancellationToken)).Trim();
                if (field == "model")
                {
                    model = value;
                }
                else if (field == "name")
                {
                    name = value;
                }

                continue;
            }

            if (fileName.EndsWith(".tar", StringComparison.OrdinalIgnoreCase))
            {
                await FineTuneStore.ExtractTarAsync(section.Body, staging, maxBytes, cancellationToken);
            }
            else
            {
                await FineTuneStore.SaveFileAsync(Path.GetFileName(fileName), section.Body, staging, maxBytes, cancellationToken);
            }
        }

        return (model, name);
    }

    private static async Task ListAsync(HttpContext context, FineTuneDirectory fineTunes)
    {
        var rows = await fineTunes.ListAsync(context.GetRequestIdentity().TenantId, context.RequestAborted);
        await context.Response.WriteAsJsonAsync(new FineTuneList([.. rows.Select(FineTuneCard.From)]), OpenAiJson.Options, context.RequestAborted);
    }

    private static async Task GetAsync(HttpContext context, string id, FineTuneDirectory fineTunes)
    {
        if (await fineTunes.FindAsync(context.GetRequestIdentity().TenantId, id, context.RequestAborted) is not { } row)
        {
            await ApiError.ModelNotFound(id).WriteAsync(context);
            return;
        }

        await context.Response.WriteAsJsonAsync(FineTuneCard.From(row), OpenAiJson.Options, context.RequestAborted);
    }

    private static async Task DeleteAsync(HttpContext context, string id, FineTuneDirectory fineTunes, FineTuneUnloader unloader, MaasDbContext db)
    {
        var deleted = await fineTunes.Store.DeleteAsync(db, context.GetRequestIdentity().TenantId, id, context.RequestAborted);
        if (deleted.Count == 0)
        {
            await ApiError.ModelNotFound(id).WriteAsync(context);
            return;
        }

        await unloader.UnloadEverywhereAsync(deleted, context.RequestAborted);
        await context.Response.WriteAsJsonAsync(new FineTuneDeleted(id, true), OpenAiJson.Options, context.RequestAborted);
    }
}
