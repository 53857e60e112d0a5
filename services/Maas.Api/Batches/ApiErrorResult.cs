using Maas.Infrastructure.OpenAi;

namespace Maas.Api.Batches;

/// <summary>An <see cref="ApiError"/> as a minimal-API result, written the one way every error is.</summary>
public sealed class ApiErrorResult(ApiError error) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext) => error.WriteAsync(httpContext);
}
