using System.Text.Json;
using Maas.Api.Gateway;
using Maas.Grains.Abstractions.Batches;
using Maas.Infrastructure.OpenAi;
using Maas.Infrastructure.Persistence;
using Microsoft.Extensions.Options;

namespace Maas.Api.Batches;

/// <summary>
/// OpenAI's Files and Batch APIs for the calling tenant: POST/GET /v1/files, GET/DELETE /v1/files/{id},
/// GET /v1/files/{id}/content; POST/GET /v1/batches, GET /v1/batches/{id}, POST /v1/batches/{id}/cancel. A batch is run
/// by its <see cref="IBatchJobGrain"/>. Extension: <c>"maas_webhook": {"url", "secret"}</c> in the create body asks for
/// a signed completion notice (<see cref="BatchWebhook"/>).
/// </summary>
public static class BatchEndpoints
{
    public const string ChatCompletions = "/v1/chat/completions";
    public const string Completions = "/v1/completions";

    public static RouteGroupBuilder MapBatchEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapPost("/files", UploadAsync).DisableAntiforgery();
        v1.MapGet("/files", async (HttpContext context, BatchStore store, string? purpose) =>
            Json(new FileList([.. (await store.ListFilesAsync(context.GetRequestIdentity().TenantId, purpose, context.RequestAborted)).Select(ToWire)])));
        v1.MapGet("/files/{fileId}", async (string fileId, HttpContext context, BatchStore store) =>
            await store.FindFileAsync(context.GetRequestIdentity().TenantId, fileId, context.RequestAborted) is { } file ? Json(ToWire(file)) : FileNotFound(fileId));
        v1.MapGet("/files/{fileId}/content", async (string fileId, HttpContext context, BatchStore store) =>
            await store.FileContentAsync(context.GetRequestIdentity().TenantId, fileId, context.RequestAborted) is { } content
                ? Results.Bytes(content, "application/jsonl")
                : FileNotFound(fileId));
        v1.MapDelete("/files/{fileId}", async (string fileId, HttpContext context, BatchStore store) =>
            await store.DeleteFileAsync(context.GetRequestIdentity().TenantId, fileId, context.RequestAborted) ? Json(new FileDeleted(fileId, true)) : FileNotFound(fileId));

        v1.MapPost("/batches", CreateAsync);
        v1.MapGet("/batches", async (HttpContext context, BatchStore store, string? after, int? limit) =>
        {
            var take = Math.Clamp(limit ?? 20, 1, 100);
            var page = await store.ListBatchesAsync(context.GetRequestIdentity().TenantId, after, take + 1, context.RequestAborted);
            var data = page.Take(take).Select(BatchObject.From).ToList();
            return Json(new BatchList(data, data.FirstOrDefault()?.Id, data.LastOrDefault()?.Id, page.Count > take));
        });
        v1.MapGet("/batches/{batchId}", async (string batchId, HttpContext context, BatchStore store) =>
            await store.FindBatchAsync(context.GetRequestIdentity().TenantId, batchId, context.RequestAborted) is { } job ? Json(BatchObject.From(job)) : BatchNotFound(batchId));
        v1.MapPost("/batches/{batchId}/cancel", async (string batchId, HttpContext context, BatchStore store, IGrainFactory grains) =>
        {
            var tenant = context.GetRequestIdentity().TenantId;
            if (await store.FindBatchAsync(tenant, batchId, context.RequestAborted) is not { } job)
            {
                return BatchNotFound(batchId);
            }

            if (BatchStatuses.IsFinished(job.Status))
            {
                return Error(ApiError.Of(StatusCodes.Status409Conflict, $"Batch {batchId} is already {job.Status}; it cannot be cancelled.", ApiError.InvalidRequest, "batch_not_cancellable"));
            }

            // The grain moves it to cancelling at once; cancelled follows when running lines have stopped.
            var cancelling = grains.GetGrain<IBatchJobGrain>(batchId).CancelAsync();
            await Task.WhenAny(cancelling, Task.Delay(TimeSpan.FromSeconds(2), context.RequestAborted));
            return Json(BatchObject.From((await store.FindBatchAsync(tenant, batchId, context.RequestAborted))!));
        });
        return v1;
    }

    private static async Task<IResult> UploadAsync(HttpContext context, BatchStore store, IOptions<BatchOptions> options)
    {
        var identity = context.GetRequestIdentity();
        if (!context.Request.HasFormContentType)
        {
            return Error(ApiError.InvalidValue("file", "Upload the file as multipart/form-data with the fields 'file' and 'purpose'."));
        }

        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(context.RequestAborted);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException)
        {
            return Error(ApiError.InvalidValue("file", "The multipart body could not be read."));
        }

        var purpose = form["purpose"].ToString();
        if (purpose != "batch")
        {
            return Error(ApiError.InvalidValue("purpose", $"'{purpose}' is not a supported purpose; this service accepts 'batch'."));
        }

        if (form.Files.GetFile("file") is not { } upload)
        {
            return Error(ApiError.Missing("file"));
        }

        if (upload.Length > options.Value.MaxFileBytes)
        {
            return Error(ApiError.InvalidValue("file", $"The file is larger than {options.Value.MaxFileBytes} bytes."));
        }

        using var buffer = new MemoryStream();
        await upload.CopyToAsync(buffer, context.RequestAborted);
        var name = Path.GetFileName(upload.FileName);
        var file = await store.AddFileAsync(identity.TenantId, purpose, string.IsNullOrEmpty(name) ? "upload.jsonl" : name[..Math.Min(name.Length, 256)], buffer.ToArray(), context.RequestAborted);
        return Json(ToWire(file));
    }

    private static async Task<IResult> CreateAsync(HttpContext context, BatchStore store, IGrainFactory grains, TimeProvider time)
    {
        var identity = context.GetRequestIdentity();
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return Error(ApiError.InvalidJson(ex.Message));
        }

        using (document)
        {
            var body = document.RootElement;
            if (body.ValueKind != JsonValueKind.Object)
            {
                return Error(ApiError.InvalidJson("The request body must be a JSON object."));
            }

            if (String(body, "input_file_id") is not { } inputFileId)
            {
                return Error(ApiError.Missing("input_file_id"));
            }

            var endpoint = String(body, "endpoint");
            if (endpoint is not (ChatCompletions or Completions))
            {
                return Error(ApiError.InvalidValue("endpoint", $"'endpoint' must be \"{ChatCompletions}\" or \"{Completions}\"."));
            }

            var window = String(body, "completion_window") ?? "24h";
            if (window != "24h")
            {
                return Error(ApiError.InvalidValue("completion_window", "'completion_window' must be \"24h\"."));
            }

            string? metadata = null;
            if (body.TryGetProperty("metadata", out var meta) && meta.ValueKind != JsonValueKind.Null)
            {
                if (meta.ValueKind != JsonValueKind.Object || meta.EnumerateObject().Count() > 16 || meta.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.String))
                {
                    return Error(ApiError.InvalidValue("metadata", "'metadata' must be an object of at most 16 string values."));
                }

                metadata = meta.GetRawText();
            }

            string? webhookUrl = null;
            string? webhookSecret = null;
            if (body.TryGetProperty("maas_webhook", out var hook) && hook.ValueKind != JsonValueKind.Null)
            {
                webhookUrl = String(hook, "url");
                webhookSecret = String(hook, "secret");
                if (!Uri.TryCreate(webhookUrl, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http") || webhookSecret is not { Length: >= 16 })
                {
                    return Error(ApiError.InvalidValue("maas_webhook", "'maas_webhook' needs an absolute http(s) 'url' and a 'secret' of at least 16 characters."));
                }
            }

            if (await store.FindFileAsync(identity.TenantId, inputFileId, context.RequestAborted) is not { Purpose: "batch" })
            {
                return Error(ApiError.Of(StatusCodes.Status404NotFound, $"No batch file with id '{inputFileId}'.", ApiError.InvalidRequest, "file_not_found"));
            }

            var now = time.GetUtcNow();
            var job = new BatchJob
            {
                Id = "batch_" + Guid.NewGuid().ToString("N"),
                TenantId = identity.TenantId,
                KeyId = identity.KeyId,
                Endpoint = endpoint,
                InputFileId = inputFileId,
                CompletionWindow = window,
                Status = BatchStatuses.Validating,
                Metadata = metadata,
                WebhookUrl = webhookUrl,
                WebhookSecret = webhookSecret,
                CreatedAt = now,
                ExpiresAt = now.AddHours(24),
            };
            await store.AddBatchAsync(job, context.RequestAborted);
            await grains.GetGrain<IBatchJobGrain>(job.Id).RunAsync();
            return Json(BatchObject.From(job));
        }
    }

    private static string? String(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static OpenAiFile ToWire(BatchFile file) => new(file.Id, file.Bytes, file.CreatedAt.ToUnixTimeSeconds(), file.Filename, file.Purpose);

    private static IResult Json(object value) => Results.Json(value, OpenAiJson.Options);

    private static IResult FileNotFound(string fileId) =>
        Error(ApiError.Of(StatusCodes.Status404NotFound, $"No such File object: {fileId}", ApiError.InvalidRequest, "file_not_found"));

    private static IResult BatchNotFound(string batchId) =>
        Error(ApiError.Of(StatusCodes.Status404NotFound, $"No batch found with id '{batchId}'.", ApiError.InvalidRequest, "batch_not_found"));

    private static IResult Error(ApiError error) => new ApiErrorResult(error);
}
