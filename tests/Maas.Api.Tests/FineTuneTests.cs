using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Maas.Api.Tests.Support;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;

namespace Maas.Api.Tests;

/// <summary>
/// Tenant fine-tunes through the api and a real worker (<see cref="FineTuneFixture"/>): upload, list, generation that
/// equals the merged checkpoint at temperature 0 while base requests share the batch, versions, isolation between
/// tenants, bad artifacts, usage records, idle unload and delete.
/// </summary>
public sealed class FineTuneTests(FineTuneFixture fixture) : IClassFixture<FineTuneFixture>
{
    private const string Owner = SeededTenants.All;
    private const string Other = SeededTenants.Single;

    [Fact]
    public async Task A_fine_tune_answers_as_the_merged_checkpoint_with_base_requests_running_alongside()
    {
        var id = await UploadAsync("support", fixture.FineTuneFolder);
        Assert.Equal($"ft:{FineTuneFixture.BaseModel}:{Owner}:support", id);

        // Base and fine-tune requests at once (one continuous batch on the worker), then the merged checkpoint alone.
        var baseRun = CompleteAsync(FineTuneFixture.BaseModel, "req-ft-mixed-base");
        var fineTuneRun = CompleteAsync(id, "req-ft-mixed-ft");
        var baseAgain = CompleteAsync(FineTuneFixture.BaseModel, "req-ft-mixed-base-2");
        var (baseText, baseLogprobs) = await baseRun;
        var (fineTuneText, fineTuneLogprobs) = await fineTuneRun;
        var (baseAgainText, _) = await baseAgain;
        var (mergedText, mergedLogprobs) = await CompleteAsync(FineTuneFixture.MergedModel, "req-ft-merged");

        Assert.Equal(mergedText, fineTuneText);
        Assert.Equal(mergedLogprobs.Length, fineTuneLogprobs.Length);
        for (var i = 0; i < mergedLogprobs.Length; i++)
        {
            Assert.True(Math.Abs(mergedLogprobs[i] - fineTuneLogprobs[i]) < 1e-3, $"token {i}: fine-tune {fineTuneLogprobs[i]}, merged {mergedLogprobs[i]}");
        }

        Assert.Equal(baseText, baseAgainText);
        Assert.False(baseLogprobs.SequenceEqual(fineTuneLogprobs), "the fine-tune's replacement experts changed nothing");

        // The usage record names the fine-tune and its version; the model is the base.
        await using var db = fixture.Api.Database.CreateContext();
        var record = await db.UsageEvents.AsNoTracking().SingleAsync(u => u.RequestId == "req-ft-mixed-ft");
        Assert.Equal(FineTuneFixture.BaseModel, record.Model);
        Assert.Equal(id, record.FineTune);
        Assert.Equal(1, record.FineTuneVersion);
        var baseRecord = await db.UsageEvents.AsNoTracking().SingleAsync(u => u.RequestId == "req-ft-mixed-base");
        Assert.Null(baseRecord.FineTune);
    }

    [Fact]
    public async Task Only_the_owner_sees_and_uses_its_fine_tune()
    {
        var id = await UploadAsync("private", fixture.FineTuneFolder);

        Assert.Contains(id, await ModelIdsAsync(Owner));
        Assert.DoesNotContain(id, await ModelIdsAsync(Other));
        Assert.Contains(id, await FineTuneIdsAsync(Owner));
        Assert.DoesNotContain(id, await FineTuneIdsAsync(Other));

        foreach (var request in new[]
        {
            fixture.Api.Requests.Get($"/v1/models/{id}", Other),
            fixture.Api.Requests.Get($"/v1/fine_tunes/{id}", Other),
            fixture.Api.Requests.Create(HttpMethod.Delete, $"/v1/fine_tunes/{id}", Other),
            fixture.Api.Requests.Post("/v1/completions", Other, CompletionBody(id)),
        })
        {
            using var response = await fixture.Api.Http.SendAsync(request);
            await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.NotFound, "model_not_found");
        }

        // Still there for its owner after the other tenant's delete attempt.
        using var own = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Get($"/v1/fine_tunes/{id}", Owner));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task Each_upload_is_a_new_version_and_requests_run_the_latest()
    {
        var id = await UploadAsync("versions", fixture.FineTuneFolder);
        var (_, first) = await CompleteAsync(id, "req-ft-v1");
        var second = await UploadAsync("versions", fixture.OtherFineTuneFolder, expectedVersion: 2);
        Assert.Equal(id, second);
        var (_, latest) = await CompleteAsync(id, "req-ft-v2");
        Assert.False(first.SequenceEqual(latest), "version 2 answered with version 1's experts");

        await using var db = fixture.Api.Database.CreateContext();
        Assert.Equal(2, (await db.UsageEvents.AsNoTracking().SingleAsync(u => u.RequestId == "req-ft-v2")).FineTuneVersion);
    }

    [Theory]
    [InlineData("wrong-shape", "has shape [16, 256]")]
    [InlineData("unknown-expert", "lists expert 16")]
    [InlineData("dense-layer", "layer '0' is not a MoE layer")]
    [InlineData("extra-tensor", "is not one of the routed experts")]
    public async Task A_bad_artifact_is_a_400_naming_what_is_wrong(string kind, string message)
    {
        using var folder = new TemporaryFolder("maas-bad-ft-");
        Directory.CreateDirectory(folder.Path);
        foreach (var file in Directory.GetFiles(fixture.FineTuneFolder))
        {
            File.Copy(file, Path.Combine(folder.Path, Path.GetFileName(file)));
        }

        var cfg = Path.Combine(folder.Path, "expert_cfg.json");
        switch (kind)
        {
            case "wrong-shape":
                var writer = new Maas.Engine.Tools.Checkpoints.SafetensorsWriter();
                foreach (var p in new[] { "gate_proj", "up_proj", "down_proj" })
                {
                    writer.AddBf16($"model.layers.1.mlp.experts.0.{p}.weight", [16, 256], new float[16 * 256]);
                }

                writer.Write(Path.Combine(folder.Path, "model.safetensors"));
                File.WriteAllText(cfg, """{"experts": {"1": [0]}}""");
                break;
            case "unknown-expert":
                File.WriteAllText(cfg, """{"experts": {"1": [0, 16]}}""");
                break;
            case "dense-layer":
                File.WriteAllText(cfg, """{"experts": {"0": [0]}}""");
                break;
            case "extra-tensor":
                File.WriteAllText(cfg, """{"experts": {"1": [0, 2, 4]}}""");
                break;
        }

        using var response = await fixture.Api.Http.SendAsync(UploadRequest(kind, FineTuneFixture.Tar(folder.Path), Owner));
        var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.BadRequest, "invalid_fine_tune");
        Assert.Contains(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(kind, await FineTuneIdsAsync(Owner));
    }

    [Fact]
    public async Task An_upload_names_a_base_model_the_tenant_may_use_and_a_valid_name()
    {
        var tar = FineTuneFixture.Tar(fixture.FineTuneFolder);
        using var unknown = await fixture.Api.Http.SendAsync(UploadRequest("x", tar, Owner, model: "no-such-model"));
        await OpenAiErrorAssert.IsErrorAsync(unknown, HttpStatusCode.NotFound, "model_not_found");
        using var badName = await fixture.Api.Http.SendAsync(UploadRequest("bad/name", tar, Owner));
        await OpenAiErrorAssert.IsErrorAsync(badName, HttpStatusCode.BadRequest, "invalid_fine_tune_name");
        using var notTar = await fixture.Api.Http.SendAsync(UploadRequest("x", "not a tar archive at all, just text"u8.ToArray(), Owner));
        Assert.Equal(HttpStatusCode.BadRequest, notTar.StatusCode);
    }

    [Fact]
    public async Task An_upload_over_the_size_limit_is_a_413()
    {
        using var folder = new TemporaryFolder("maas-big-ft-");
        Maas.Engine.Tools.Checkpoints.RandomFineTuneWriter.Write(fixture.BaseFolder, new Dictionary<int, int[]> { [1] = [.. Enumerable.Range(0, 16)] }, folder.Path, seed: 9);
        using var response = await fixture.Api.Http.SendAsync(UploadRequest("too-big", FineTuneFixture.Tar(folder.Path), Owner));
        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "request_too_large");
        Assert.DoesNotContain($"ft:{FineTuneFixture.BaseModel}:{Owner}:too-big", await FineTuneIdsAsync(Owner));
    }

    [Fact]
    public async Task A_multipart_upload_of_the_files_registers_the_fine_tune()
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent(FineTuneFixture.BaseModel), "model" },
            { new StringContent("multipart"), "name" },
        };
        foreach (var file in Directory.GetFiles(fixture.FineTuneFolder))
        {
            form.Add(new ByteArrayContent(await File.ReadAllBytesAsync(file)), "file", Path.GetFileName(file));
        }

        var body = await form.ReadAsByteArrayAsync();
        var request = fixture.Api.Requests.CreateWithBody(HttpMethod.Post, "/v1/fine_tunes", Owner, body);
        request.Content!.Headers.ContentType = form.Headers.ContentType;
        using var response = await fixture.Api.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        Assert.Equal($"ft:{FineTuneFixture.BaseModel}:{Owner}:multipart", JsonDocument.Parse(text).RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public async Task An_idle_fine_tune_is_unloaded_and_its_memory_returned_and_a_deleted_one_answers_404()
    {
        var id = await UploadAsync("idle", fixture.FineTuneFolder);
        await CompleteAsync(id, "req-ft-idle");

        // Unloaded once idle: no fine-tune bytes held on the worker.
        await WaitForMetricAsync(m => Metric(m, "maas_worker_fine_tune_unloads_total{reason=\"idle\"}") >= 1 && Metric(m, "maas_worker_fine_tune_bytes") == 0);

        // Used again: loaded again (a cold start), then deleted: unloaded at once and gone everywhere.
        await CompleteAsync(id, "req-ft-idle-2");
        var loadsBefore = Metric(await WorkerMetricsAsync(), "maas_worker_fine_tune_loads_total{outcome=\"loaded\"}");
        Assert.True(loadsBefore >= 2);
        using (var delete = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Create(HttpMethod.Delete, $"/v1/fine_tunes/{id}", Owner)))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }

        await WaitForMetricAsync(m => Metric(m, "maas_worker_fine_tune_unloads_total{reason=\"deleted\"}") >= 1);
        using var generate = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Post("/v1/completions", Owner, CompletionBody(id)));
        await OpenAiErrorAssert.IsErrorAsync(generate, HttpStatusCode.NotFound, "model_not_found");
        using var get = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Get($"/v1/fine_tunes/{id}", Owner));
        await OpenAiErrorAssert.IsErrorAsync(get, HttpStatusCode.NotFound, "model_not_found");
        Assert.DoesNotContain(id, await ModelIdsAsync(Owner));
    }

    private async Task<string> UploadAsync(string name, string folder, int expectedVersion = 1)
    {
        using var response = await fixture.Api.Http.SendAsync(UploadRequest(name, FineTuneFixture.Tar(folder), Owner));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        var card = JsonDocument.Parse(text).RootElement;
        Assert.Equal("fine_tune", card.GetProperty("object").GetString());
        Assert.Equal(expectedVersion, card.GetProperty("version").GetInt32());
        Assert.StartsWith("sha256:", card.GetProperty("digest").GetString(), StringComparison.Ordinal);
        return card.GetProperty("id").GetString()!;
    }

    private HttpRequestMessage UploadRequest(string name, byte[] tar, string tenant, string model = FineTuneFixture.BaseModel)
    {
        var request = fixture.Api.Requests.CreateWithBody(HttpMethod.Post, $"/v1/fine_tunes?model={Uri.EscapeDataString(model)}&name={Uri.EscapeDataString(name)}", tenant, tar);
        request.Content!.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        return request;
    }

    private static string CompletionBody(string model) =>
        $$"""{ "model": "{{model}}", "prompt": "The plant's third conveyor stopped because", "max_tokens": 8, "ignore_eos": true, "temperature": 0, "logprobs": 1 }""";

    private async Task<(string Text, double[] Logprobs)> CompleteAsync(string model, string requestId)
    {
        using var response = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Post("/v1/completions", Owner, CompletionBody(model), requestId));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var choice = JsonDocument.Parse(text).RootElement.GetProperty("choices")[0];
        var logprobs = choice.GetProperty("logprobs").GetProperty("token_logprobs").EnumerateArray().Select(l => l.GetDouble()).ToArray();
        return (choice.GetProperty("text").GetString()!, logprobs);
    }

    private async Task<string[]> ModelIdsAsync(string tenant) => await IdsAsync("/v1/models", tenant);

    private async Task<string[]> FineTuneIdsAsync(string tenant) => await IdsAsync("/v1/fine_tunes", tenant);

    private async Task<string[]> IdsAsync(string path, string tenant)
    {
        using var response = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Get(path, tenant));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return [.. JsonDocument.Parse(text).RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!)];
    }

    private async Task<string> WorkerMetricsAsync()
    {
        using var http = new HttpClient { BaseAddress = fixture.Worker.ManagementAddress };
        return await http.GetStringAsync("/metrics");
    }

    private async Task WaitForMetricAsync(Func<string, bool> condition)
    {
        var deadline = DateTime.UtcNow + FineTuneFixture.IdleUnload + TimeSpan.FromSeconds(30);
        string metrics;
        while (!condition(metrics = await WorkerMetricsAsync()))
        {
            Assert.True(DateTime.UtcNow < deadline, "worker metrics never got there:\n" + string.Join('\n', metrics.Split('\n').Where(l => l.Contains("fine_tune", StringComparison.Ordinal))));
            await Task.Delay(200);
        }
    }

    /// <summary>The value of a sample line "name{labels} value" (0 when absent).</summary>
    private static double Metric(string metrics, string sample)
    {
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith(sample + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(sample.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
