using System.Text.Json;

namespace Maas.Gateway.Errors;

/// <summary>Writes every error the gateway itself produces, in the OpenAI shape (ARCHITECTURE §7).</summary>
public static class OpenAiErrorWriter
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never,
        // A JSON API, never embedded in HTML: keep "didn't" readable rather than "didn\u0027t".
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Task WriteAsync(HttpContext context, int statusCode, string message, string type, string? code, CancellationToken cancellationToken)
    {
        if (context.Response.HasStarted)
        {
            // Too late to change the status; the connection is all that can be given up.
            context.Abort();
            return Task.CompletedTask;
        }

        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        var body = new OpenAiErrorResponse(new OpenAiError(message, type, null, code));
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json), cancellationToken);
    }
}
