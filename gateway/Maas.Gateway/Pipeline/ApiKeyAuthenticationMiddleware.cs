using Maas.Gateway.Authentication;
using Maas.Gateway.Observability;
using Maas.Infrastructure.OpenAi;
using Maas.Infrastructure.Tenancy;
using Yarp.ReverseProxy.Model;

namespace Maas.Gateway.Pipeline;

/// <summary>
/// Turns "Authorization: Bearer &lt;secret&gt;" into an <see cref="ApiKeyIdentity"/> feature, or answers
/// 401 (missing, malformed, unknown, revoked, tenant disabled) or 503 (PostgreSQL down) itself. Cheap refusals come
/// first: an address that used up its failed authentications gets 429 before anything is read
/// (<see cref="FailedAuthenticationLimiter"/>), and a secret without the shape of a key is refused before it is hashed
/// or looked up. Routes whose metadata says "Maas.Authentication": "None" pass without a key.
/// </summary>
public sealed class ApiKeyAuthenticationMiddleware(
    RequestDelegate next,
    ApiKeyCache cache,
    FailedAuthenticationLimiter failures,
    ILogger<ApiKeyAuthenticationMiddleware> logger)
{
    public const string RouteMetadataKey = "Maas.Authentication";
    private const string BearerPrefix = "Bearer ";
    private const string MissingKeyMessage =
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";

    public async Task InvokeAsync(HttpContext context)
    {
        if (IsAnonymousRoute(context))
        {
            await next(context);
            return;
        }

        var ct = context.RequestAborted;
        var address = context.Connection.RemoteIpAddress;
        if (failures.IsBlocked(address, out var retryAfter))
        {
            GatewayMetrics.AuthenticationFailures.WithLabels("address_blocked").Inc();
            await ApiError.Of(
                StatusCodes.Status429TooManyRequests,
                "Too many failed authentications from your address. Please check your API key and retry later.",
                "requests",
                "too_many_failed_authentications",
                Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))).WriteAsync(context);
            return;
        }

        var header = context.Request.Headers.Authorization;
        if (header.Count != 1 || header[0] is not { } value
            || !value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            || value.AsSpan(BearerPrefix.Length).Trim().IsEmpty)
        {
            await RejectAsync(context, header.Count == 0 ? "missing" : "malformed", MissingKeyMessage, ct);
            return;
        }

        var secret = value[BearerPrefix.Length..].Trim();
        if (!ApiKeySecret.IsWellFormed(secret))
        {
            // Not the shape of any key we issue: no hash, no cache entry, no database query.
            await RejectAsync(context, "malformed", $"Incorrect API key provided: {Mask(secret)}.", ct);
            return;
        }

        ApiKeyLookup lookup;
        try
        {
            lookup = await cache.GetAsync(ApiKeySecret.Hash(secret), ct);
        }
        catch (ApiKeyStoreUnavailableException ex)
        {
            logger.LogError(ex, "API key lookup failed; answering 503");
            GatewayMetrics.AuthenticationFailures.WithLabels("store_unavailable").Inc();
            await ApiError.Of(StatusCodes.Status503ServiceUnavailable, "The service is temporarily unavailable. Please retry shortly.", "server_error", "service_unavailable").WriteAsync(context);
            return;
        }

        switch (lookup.Status)
        {
            case ApiKeyStatus.Active:
                context.Features.Set(lookup.Identity!);
                await next(context);
                return;
            case ApiKeyStatus.Revoked:
                await RejectAsync(context, "revoked", $"The API key {Mask(secret)} has been revoked.", ct);
                return;
            case ApiKeyStatus.TenantDisabled:
                await RejectAsync(context, "tenant_disabled", $"The account of API key {Mask(secret)} is disabled.", ct);
                return;
            default:
                await RejectAsync(context, "unknown", $"Incorrect API key provided: {Mask(secret)}.", ct);
                return;
        }
    }

    private static bool IsAnonymousRoute(HttpContext context)
    {
        return context.Features.Get<IReverseProxyFeature>()?.Route.Config.Metadata is { } metadata
            && metadata.TryGetValue(RouteMetadataKey, out var mode)
            && string.Equals(mode, "None", StringComparison.OrdinalIgnoreCase);
    }

    private Task RejectAsync(HttpContext context, string reason, string message, CancellationToken ct)
    {
        GatewayMetrics.AuthenticationFailures.WithLabels(reason).Inc();
        failures.RecordFailure(context.Connection.RemoteIpAddress);
        return ApiError.Of(StatusCodes.Status401Unauthorized, message, "invalid_request_error", "invalid_api_key").WriteAsync(context);
    }

    /// <summary>Shows only enough of a secret for its owner to recognise it, like OpenAI does.</summary>
    private static string Mask(string secret)
    {
        return secret.Length < 20 ? "****" : secret[..ApiKeySecret.DisplayLength] + "****" + secret[^4..];
    }
}
