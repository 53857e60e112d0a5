using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Maas.Infrastructure.OpenAi;
using Maas.Infrastructure.Persistence;
using Microsoft.Extensions.Options;

namespace Maas.Api.Batches;

/// <summary>
/// The optional completion notice: POST of the batch object to the tenant's URL, signed the Standard Webhooks way
/// (headers webhook-id, webhook-timestamp, webhook-signature "v1,{base64 HMAC-SHA256 of 'id.timestamp.body'}" with
/// the secret the tenant gave), tried three times. A failed notice never changes the batch.
/// </summary>
public sealed partial class BatchWebhook(HttpClient http, IOptions<BatchOptions> options, TimeProvider time, ILogger<BatchWebhook> logger)
{
    public async Task SendAsync(BatchJob job, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(new { type = "batch." + job.Status, data = BatchObject.From(job) }, OpenAiJson.Options);
        var id = "msg_" + job.Id + "_" + job.Status;
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            try
            {
                var timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                using var request = new HttpRequestMessage(HttpMethod.Post, job.WebhookUrl) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Add("webhook-id", id);
                request.Headers.Add("webhook-timestamp", timestamp);
                request.Headers.Add("webhook-signature", "v1," + Sign(job.WebhookSecret ?? "", id, timestamp, body));
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(options.Value.WebhookTimeout);
                using var response = await http.SendAsync(request, timeout.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                LogWebhookRefused(logger, job.Id, (int)response.StatusCode, attempt);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                LogWebhookFailed(logger, ex, job.Id, attempt);
            }

            await Task.Delay(TimeSpan.FromSeconds(attempt), time, cancellationToken);
        }
    }

    /// <summary>base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}")): what a receiver recomputes to trust the notice.</summary>
    public static string Sign(string secret, string id, string timestamp, string body) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook of batch {BatchId} answered {Status} (attempt {Attempt})")]
    private static partial void LogWebhookRefused(ILogger logger, string batchId, int status, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook of batch {BatchId} failed (attempt {Attempt})")]
    private static partial void LogWebhookFailed(ILogger logger, Exception exception, string batchId, int attempt);
}
