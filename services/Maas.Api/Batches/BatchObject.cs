using System.Text.Json;
using System.Text.Json.Serialization;
using Maas.Infrastructure.Persistence;

namespace Maas.Api.Batches;

/// <summary>OpenAI's batch object, from a <see cref="BatchJob"/> row.</summary>
public sealed record BatchObject(
    string Id,
    string Endpoint,
    BatchErrors? Errors,
    [property: JsonPropertyName("input_file_id")] string InputFileId,
    [property: JsonPropertyName("completion_window")] string CompletionWindow,
    string Status,
    [property: JsonPropertyName("output_file_id")] string? OutputFileId,
    [property: JsonPropertyName("error_file_id")] string? ErrorFileId,
    [property: JsonPropertyName("created_at")] long CreatedAt,
    [property: JsonPropertyName("in_progress_at")] long? InProgressAt,
    [property: JsonPropertyName("expires_at")] long ExpiresAt,
    [property: JsonPropertyName("finalizing_at")] long? FinalizingAt,
    [property: JsonPropertyName("completed_at")] long? CompletedAt,
    [property: JsonPropertyName("failed_at")] long? FailedAt,
    [property: JsonPropertyName("expired_at")] long? ExpiredAt,
    [property: JsonPropertyName("cancelling_at")] long? CancellingAt,
    [property: JsonPropertyName("cancelled_at")] long? CancelledAt,
    [property: JsonPropertyName("request_counts")] BatchRequestCounts RequestCounts,
    JsonElement? Metadata)
{
    public string Object => "batch";

    public static BatchObject From(BatchJob job) => new(
        job.Id,
        job.Endpoint,
        job.Errors is null ? null : JsonSerializer.Deserialize<BatchErrors>(job.Errors, Infrastructure.OpenAi.OpenAiJson.Options),
        job.InputFileId,
        job.CompletionWindow,
        job.Status,
        job.OutputFileId,
        job.ErrorFileId,
        job.CreatedAt.ToUnixTimeSeconds(),
        job.InProgressAt?.ToUnixTimeSeconds(),
        job.ExpiresAt.ToUnixTimeSeconds(),
        job.FinalizingAt?.ToUnixTimeSeconds(),
        job.CompletedAt?.ToUnixTimeSeconds(),
        job.FailedAt?.ToUnixTimeSeconds(),
        job.ExpiredAt?.ToUnixTimeSeconds(),
        job.CancellingAt?.ToUnixTimeSeconds(),
        job.CancelledAt?.ToUnixTimeSeconds(),
        new BatchRequestCounts(job.Total, job.Completed, job.Failed),
        job.Metadata is null ? null : JsonDocument.Parse(job.Metadata).RootElement.Clone());
}
