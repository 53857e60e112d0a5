using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Maas.Infrastructure.OpenAi;

/// <summary>
/// An error answered to a client, with its HTTP status, in the OpenAI shape (docs/architecture.md §7). The one
/// error type of every Maas service: the gateway, the api, and the generation pipeline behind MQTT and batch jobs.
/// </summary>
public sealed record ApiError(int Status, OpenAiError Error, int? RetryAfterSeconds = null)
{
    public const string InvalidRequest = "invalid_request_error";

    public const string ServerError = "server_error";

    /// <summary>An error of any status, type and code (the gateway's proxy failures, limits).</summary>
    public static ApiError Of(int status, string message, string type, string? code, int? retryAfterSeconds = null) =>
        new(status, new OpenAiError(message, type, null, code), retryAfterSeconds);

    /// <summary>The body as a whole is not a usable JSON object; <c>param</c> is "body".</summary>
    public static ApiError InvalidJson(string detail) =>
        new(StatusCodes.Status400BadRequest, new OpenAiError($"We could not parse the JSON body of your request: {detail}", InvalidRequest, "body", "invalid_json"));

    /// <summary>The body could not be read (truncated, malformed chunked encoding).</summary>
    public static ApiError UnreadableBody(int status) =>
        new(status, new OpenAiError("The request body could not be read.", InvalidRequest, "body", "invalid_request_body"));

    public static ApiError InvalidValue(string param, string message, string code = "invalid_value") =>
        new(StatusCodes.Status400BadRequest, new OpenAiError(message, InvalidRequest, param, code));

    public static ApiError Missing(string param) =>
        new(StatusCodes.Status400BadRequest, new OpenAiError($"Missing required parameter: '{param}'.", InvalidRequest, param, "missing_required_parameter"));

    public static ApiError ContextLengthExceeded(string param, string message) =>
        new(StatusCodes.Status400BadRequest, new OpenAiError(message, InvalidRequest, param, "context_length_exceeded"));

    public static ApiError PayloadTooLarge() =>
        new(StatusCodes.Status413PayloadTooLarge, new OpenAiError("The request body is too large.", InvalidRequest, "body", "request_too_large"));

    public static ApiError InvalidGatewaySignature() =>
        new(StatusCodes.Status401Unauthorized, new OpenAiError("The request was not authenticated by the gateway.", InvalidRequest, null, "invalid_gateway_signature"));

    /// <summary>A correctly signed request whose request id was already used within the signature window.</summary>
    public static ApiError ReplayedRequest() =>
        new(StatusCodes.Status401Unauthorized, new OpenAiError("The request was already received once; a gateway request cannot be replayed.", InvalidRequest, null, "replayed_request"));

    public static ApiError Forbidden(string message, string code, string? param = null) =>
        new(StatusCodes.Status403Forbidden, new OpenAiError(message, InvalidRequest, param, code));

    public static ApiError ModelNotFound(string model) =>
        new(StatusCodes.Status404NotFound, new OpenAiError($"The model '{model}' does not exist or you do not have access to it.", InvalidRequest, "model", "model_not_found"));

    public static ApiError TooManyRequests(string message, string code, int retryAfterSeconds) =>
        new(StatusCodes.Status429TooManyRequests, new OpenAiError(message, "rate_limit_error", null, code), retryAfterSeconds);

    /// <summary>429 as OpenAI answers a spent quota: type and code insufficient_quota, no Retry-After (waiting does not help).</summary>
    public static ApiError InsufficientQuota(string message) =>
        new(StatusCodes.Status429TooManyRequests, new OpenAiError(message, "insufficient_quota", null, "insufficient_quota"));

    /// <summary>A model without a price in effect: the operator's configuration error, so 503 and no Retry-After.</summary>
    public static ApiError ModelNotPriced(string message) =>
        new(StatusCodes.Status503ServiceUnavailable, new OpenAiError(message, ServerError, "model", "model_not_priced"));

    public static ApiError Unavailable(string message) =>
        new(StatusCodes.Status503ServiceUnavailable, new OpenAiError(message, ServerError, null, "no_capacity"), 1);

    /// <summary>503 for a replica too busy to take the request now (queue full, queue deadline passed), with Retry-After.</summary>
    public static ApiError Overloaded(string message, string code, int retryAfterSeconds) =>
        new(StatusCodes.Status503ServiceUnavailable, new OpenAiError(message, ServerError, null, code), retryAfterSeconds);

    public static ApiError Internal(string message) =>
        new(StatusCodes.Status500InternalServerError, new OpenAiError(message, ServerError, null, "internal_error"));

    /// <summary>Writes the status, Retry-After and JSON body; a response already started can only be aborted.</summary>
    public async Task WriteAsync(HttpContext context)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        context.Response.StatusCode = Status;
        if (RetryAfterSeconds is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        }

        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, new OpenAiErrorResponse(Error), OpenAiJson.Options, context.RequestAborted);
    }

    /// <summary>The same error as the "data:" of a server-sent event, for failures after a stream has started.</summary>
    public string ToJson() => JsonSerializer.Serialize(new OpenAiErrorResponse(Error), OpenAiJson.Options);
}
