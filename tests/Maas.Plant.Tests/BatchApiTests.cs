using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Maas.Plant.Tests.Support;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;
using OpenAI.Batch;
using OpenAI.Files;

namespace Maas.Plant.Tests;

/// <summary>
/// The OpenAI-compatible Batch API on the api process, through the gateway: files, batches, output and error files,
/// resumption after the api silo is killed, and usage metered once per line with source batch.
/// </summary>
[Collection(PlantPlatformCollection.Name)]
public sealed class BatchApiTests(PlantPlatformFixture platform)
{
    // Generous: a 200-line batch across an api restart takes about 4 minutes on a machine at load 70 (2 cores).
    private static readonly TimeSpan Wait = TimeSpan.FromMinutes(8);

    private static string Lines(int count, int maxTokens, Func<int, string>? model = null) => string.Join("\n", Enumerable.Range(0, count).Select(i => JsonSerializer.Serialize(new
    {
        custom_id = $"line-{i}",
        method = "POST",
        url = "/v1/chat/completions",
        body = new
        {
            model = model?.Invoke(i) ?? PlantPlatformFixture.Model,
            messages = new[] { new { role = "user", content = $"Summarise maintenance log entry {i}." } },
            max_tokens = maxTokens,
            ignore_eos = true,
        },
    }))) + "\n";

    private static async Task<string> UploadAsync(HttpClient http, string jsonl)
    {
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent("batch"), "purpose");
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(jsonl));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        form.Add(file, "file", "lines.jsonl");
        using var response = await http.PostAsync("/v1/files", form);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> GetBatchAsync(HttpClient http, string id)
    {
        var text = await http.GetStringAsync($"/v1/batches/{id}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<JsonElement> WaitForStatusAsync(HttpClient http, string id, params string[] statuses)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            var batch = await GetBatchAsync(http, id);
            if (statuses.Contains(batch.GetProperty("status").GetString()) || DateTime.UtcNow > deadline)
            {
                Assert.Contains(batch.GetProperty("status").GetString(), statuses);
                return batch;
            }

            await Task.Delay(250);
        }
    }

    private async Task<List<Infrastructure.Persistence.UsageEvent>> BatchUsageAsync(string batchId)
    {
        await using var db = platform.Database.CreateContext();
        return await db.UsageEvents.AsNoTracking().Where(u => u.RequestId.StartsWith("batch:" + batchId + ":")).ToListAsync();
    }

    [Fact]
    public async Task A_200_line_batch_completes_with_200_output_lines_and_an_api_restart_midway_neither_loses_nor_repeats_a_line()
    {
        using var http = platform.Http(platform.Other);
        var fileId = await UploadAsync(http, Lines(200, maxTokens: 16));
        using var created = await http.PostAsync("/v1/batches", new StringContent(
            JsonSerializer.Serialize(new { input_file_id = fileId, endpoint = "/v1/chat/completions", completion_window = "24h" }), Encoding.UTF8, "application/json"));
        var createdText = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.OK, createdText);
        var batchId = JsonDocument.Parse(createdText).RootElement.GetProperty("id").GetString()!;

        // Kill the api once some lines are done and most are not.
        var deadline = DateTime.UtcNow + Wait;
        int doneBefore;
        while (true)
        {
            var batch = await GetBatchAsync(http, batchId);
            doneBefore = batch.GetProperty("request_counts").GetProperty("completed").GetInt32();
            if (doneBefore >= 10 || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(100);
        }

        await platform.RestartApiAsync();
        Assert.InRange(doneBefore, 10, 150);

        var finished = await WaitForStatusAsync(http, batchId, "completed");
        var counts = finished.GetProperty("request_counts");
        Assert.Equal(200, counts.GetProperty("total").GetInt32());
        Assert.Equal(200, counts.GetProperty("completed").GetInt32());
        Assert.Equal(0, counts.GetProperty("failed").GetInt32());
        Assert.False(finished.TryGetProperty("error_file_id", out var errorFile) && errorFile.ValueKind == JsonValueKind.String, "a batch without failed lines has no error file");

        var output = (await http.GetStringAsync($"/v1/files/{finished.GetProperty("output_file_id").GetString()}/content"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(200, output.Count);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"line-{i}").Order(), output.Select(l => l.GetProperty("custom_id").GetString()!).Order());
        Assert.All(output, l =>
        {
            Assert.Equal(200, l.GetProperty("response").GetProperty("status_code").GetInt32());
            Assert.Equal(16, l.GetProperty("response").GetProperty("body").GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        });

        // Billed once per line, with source batch, whatever ran twice across the restart. An attempt refused after
        // admission while the cluster came back (503 no_capacity: a busy retry) leaves a zero-token record of its own.
        var usage = await BatchUsageAsync(batchId);
        var billed = usage.Where(u => u.CompletionTokens > 0).ToList();
        Assert.Equal(200, billed.Count);
        Assert.Equal(200, billed.Select(u => u.RequestId).Distinct().Count());
        Assert.All(billed, u =>
        {
            Assert.Equal("batch", u.Source);
            Assert.Equal(platform.Other.Id, u.TenantId);
            Assert.Equal(16, u.CompletionTokens);
        });
        Assert.All(usage.Except(billed), u => Assert.True(u.PromptTokens == 0 && u.FinishReason is "rejected" or "error", $"{u.RequestId}: {u.FinishReason}, {u.PromptTokens} prompt tokens"));
        Assert.Contains($"Resuming batch {batchId}", platform.Api.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_official_OpenAI_SDKs_file_and_batch_calls_work_and_a_bad_line_goes_to_the_error_file()
    {
        var client = platform.OpenAi(platform.SparkplugTenant);
        var files = client.GetOpenAIFileClient();
        var jsonl = Lines(5, maxTokens: 3, i => i == 3 ? "no-such-model" : PlantPlatformFixture.Model);
        var uploaded = await files.UploadFileAsync(BinaryData.FromString(jsonl), "shift-reports.jsonl", FileUploadPurpose.Batch);
        Assert.Equal(Encoding.UTF8.GetByteCount(jsonl), uploaded.Value.SizeInBytes);
        Assert.Equal("shift-reports.jsonl", (await files.GetFileAsync(uploaded.Value.Id)).Value.Filename);

        // The completion notice: a listener of the test's own, the HMAC recomputed here (Standard Webhooks).
        const string WebhookSecret = "whsec-plant-tests-0123456789";
        var hookPort = FreePort.Next();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{hookPort}/");
        listener.Start();
        var notice = ReceiveWebhookAsync(listener);

#pragma warning disable OPENAI001 // The SDK marks its batch client experimental.
        var batches = client.GetBatchClient();
        var operation = await batches.CreateBatchAsync(BinaryContent.Create(BinaryData.FromObjectAsJson(new
        {
            input_file_id = uploaded.Value.Id,
            endpoint = "/v1/chat/completions",
            completion_window = "24h",
            metadata = new { shift = "night" },
            maas_webhook = new { url = $"http://127.0.0.1:{hookPort}/batch-done", secret = WebhookSecret },
        })), waitUntilCompleted: false);
        var batchId = operation.BatchId;
        var deadline = DateTime.UtcNow + Wait;
        JsonElement batch;
        do
        {
            await Task.Delay(250);
            batch = JsonDocument.Parse((await operation.GetBatchAsync(null)).GetRawResponse().Content.ToString()).RootElement.Clone();
        }
        while (batch.GetProperty("status").GetString() != "completed" && DateTime.UtcNow < deadline);

        Assert.Equal("completed", batch.GetProperty("status").GetString());
        Assert.Equal("night", batch.GetProperty("metadata").GetProperty("shift").GetString());
        Assert.Equal(4, batch.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.Equal(1, batch.GetProperty("request_counts").GetProperty("failed").GetInt32());

        var listed = new List<JsonElement>();
        await foreach (var page in batches.GetBatchesAsync(after: null, limit: 10, options: null).GetRawPagesAsync())
        {
            listed.AddRange(JsonDocument.Parse(page.GetRawResponse().Content.ToString()).RootElement.GetProperty("data").EnumerateArray().Select(e => e.Clone()));
        }
#pragma warning restore OPENAI001

        Assert.Contains(listed, b => b.GetProperty("id").GetString() == batchId);

        var output = (await files.DownloadFileAsync(batch.GetProperty("output_file_id").GetString()!)).Value.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, output.Length);
        var error = Assert.Single((await files.DownloadFileAsync(batch.GetProperty("error_file_id").GetString()!)).Value.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var errorLine = JsonDocument.Parse(error);
        Assert.Equal("line-3", errorLine.RootElement.GetProperty("custom_id").GetString());
        Assert.Equal("model_not_found", errorLine.RootElement.GetProperty("response").GetProperty("body").GetProperty("error").GetProperty("code").GetString());

        // Another tenant sees neither the batch nor its files.
        using var other = platform.Http(platform.Other);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/v1/batches/{batchId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/v1/files/{uploaded.Value.Id}/content")).StatusCode);
        Assert.Equal(4, (await BatchUsageAsync(batchId)).Count(u => u.CompletionTokens == 3));

        var (headers, body) = await notice.WaitAsync(TimeSpan.FromSeconds(30));
        using var hook = JsonDocument.Parse(body);
        Assert.Equal("batch.completed", hook.RootElement.GetProperty("type").GetString());
        Assert.Equal(batchId, hook.RootElement.GetProperty("data").GetProperty("id").GetString());
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(WebhookSecret), Encoding.UTF8.GetBytes($"{headers["webhook-id"]}.{headers["webhook-timestamp"]}.{body}")));
        Assert.Equal("v1," + expected, headers["webhook-signature"]);
    }

    private static async Task<(System.Collections.Specialized.NameValueCollection Headers, string Body)> ReceiveWebhookAsync(HttpListener listener)
    {
        var context = await listener.GetContextAsync();
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        context.Response.StatusCode = 204;
        context.Response.Close();
        return (context.Request.Headers, body);
    }

    [Fact]
    public async Task A_cancelled_batch_ends_cancelled_with_the_lines_it_did_not_run_in_the_error_file()
    {
        using var http = platform.Http(platform.SparkplugTenant);
        var fileId = await UploadAsync(http, Lines(60, maxTokens: 64));
        using var created = await http.PostAsync("/v1/batches", new StringContent(
            JsonSerializer.Serialize(new { input_file_id = fileId, endpoint = "/v1/chat/completions", completion_window = "24h" }), Encoding.UTF8, "application/json"));
        var batchId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await WaitForStatusAsync(http, batchId, "in_progress");

        using var cancel = await http.PostAsync($"/v1/batches/{batchId}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Contains(JsonDocument.Parse(await cancel.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString(), new[] { "cancelling", "cancelled" });
        var batch = await WaitForStatusAsync(http, batchId, "cancelled");

        var counts = batch.GetProperty("request_counts");
        var completed = counts.GetProperty("completed").GetInt32();
        Assert.True(completed < 60, "the batch ran to the end before it was cancelled");
        Assert.Equal(60, completed + counts.GetProperty("failed").GetInt32());
        var errors = (await http.GetStringAsync($"/v1/files/{batch.GetProperty("error_file_id").GetString()}/content")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(60 - completed, errors.Length);
        Assert.All(errors, e => Assert.Contains("batch_cancelled", e, StringComparison.Ordinal));

        // Cancelling a finished batch is a 409 in the OpenAI error shape; usage only for lines that ran.
        using var again = await http.PostAsync($"/v1/batches/{batchId}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(completed, (await BatchUsageAsync(batchId)).Count(u => u.CompletionTokens == 64));
    }
}
