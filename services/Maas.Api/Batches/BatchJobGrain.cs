using System.Diagnostics;
using System.Text.Json;
using Maas.Generation.Pipeline;
using Maas.Generation.Requests;
using Maas.Generation.Responses;
using Maas.Grains.Abstractions.Batches;
using Maas.Infrastructure.Metering;
using Maas.Infrastructure.OpenAi;
using Maas.Infrastructure.Persistence;
using Microsoft.Extensions.Options;

namespace Maas.Api.Batches;

/// <summary>
/// Runs one batch: validating → in_progress → finalizing → completed (or failed, expired, cancelling → cancelled). Lines
/// run through the shared pipeline with usage source batch (billed at the batch discount, batch priority in the engine:
/// interactive requests go first), a few at a time; each finished line is written to PostgreSQL with its result before
/// it counts, so a restarted silo resumes with the lines still pending. A line's request id ("batch:{batch}:{line}")
/// and its arrival are fixed, so even a line re-run after a crash between metering and storing is metered once (an
/// attempt refused as busy gets a new arrival: its zero-token record, if any, must not shadow the real one).
/// The work runs off the grain's scheduler; the grain only starts, cancels and keeps it.
/// </summary>
public sealed partial class BatchJobGrain(
    BatchStore store,
    GenerationPipeline pipeline,
    BatchWebhook webhook,
    IOptions<BatchOptions> options,
    TimeProvider time,
    ILogger<BatchJobGrain> logger) : Grain, IBatchJobGrain
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _running;

    public Task RunAsync()
    {
        if (_running is { IsCompleted: false })
        {
            return Task.CompletedTask;
        }

        // Long batches must not be collected as idle while they run.
        DelayDeactivation(TimeSpan.FromDays(2));
        var batchId = this.GetPrimaryKeyString();
        var token = _stopping.Token;
        _running = Task.Run(() => RunBatchAsync(batchId, token));
        return Task.CompletedTask;
    }

    public async Task CancelAsync()
    {
        var batchId = this.GetPrimaryKeyString();
        await store.TransitionAsync(batchId, [BatchStatuses.Validating, BatchStatuses.InProgress], BatchStatuses.Cancelling, CancellationToken.None);
        await _stopping.CancelAsync();
        if (_running is { } running)
        {
            await running;
        }

        // Finishes the cancellation (also when nothing was running here, e.g. right after a restart).
        _running = Task.Run(() => RunBatchAsync(batchId, CancellationToken.None));
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // A silo shutting down: lines in flight stay pending and run again where the batch resumes.
        await _stopping.CancelAsync();
        if (_running is { } running)
        {
            await running.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task RunBatchAsync(string batchId, CancellationToken stopping)
    {
        try
        {
            var job = await store.FindBatchAsync(null, batchId, CancellationToken.None);
            if (job is null || BatchStatuses.IsFinished(job.Status))
            {
                return;
            }

            if (job.Status == BatchStatuses.Validating && !await ValidateAsync(job, stopping))
            {
                return;
            }

            job = (await store.FindBatchAsync(null, batchId, CancellationToken.None))!;
            if (job.Status == BatchStatuses.InProgress)
            {
                await RunLinesAsync(job, stopping);
                if (stopping.IsCancellationRequested)
                {
                    return;
                }

                var expired = time.GetUtcNow() > job.ExpiresAt;
                await store.TransitionAsync(batchId, [BatchStatuses.InProgress], expired ? BatchStatuses.Expired : BatchStatuses.Finalizing, CancellationToken.None);
                job = (await store.FindBatchAsync(null, batchId, CancellationToken.None))!;
            }

            if (job.Status is BatchStatuses.Finalizing or BatchStatuses.Cancelling or BatchStatuses.Expired)
            {
                await FinishAsync(job);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Cancelled or deactivating: CancelAsync or the next activation finishes the batch.
        }
        catch (Exception ex)
        {
            LogBatchFailed(logger, ex, batchId);
        }
    }

    private async Task<bool> ValidateAsync(BatchJob job, CancellationToken stopping)
    {
        var content = await store.FileContentAsync(job.TenantId, job.InputFileId, stopping);
        IReadOnlyList<BatchLine> lines;
        IReadOnlyList<BatchLineError> errors;
        if (content is null)
        {
            (lines, errors) = ([], [new BatchLineError("file_not_found", $"The input file {job.InputFileId} no longer exists.", "input_file_id", null)]);
        }
        else
        {
            (lines, errors) = BatchInputParser.Parse(job.Id, job.Endpoint, content, options.Value.MaxLines);
        }

        if (errors.Count > 0)
        {
            var json = JsonSerializer.Serialize(new BatchErrors(errors), OpenAiJson.Options);
            await store.TransitionAsync(job.Id, [BatchStatuses.Validating], BatchStatuses.Failed, CancellationToken.None, j => j.Errors = json);
            await NotifyAsync(job.Id);
            return false;
        }

        await store.AddLinesAsync(job.Id, lines, CancellationToken.None);
        return await store.TransitionAsync(job.Id, [BatchStatuses.Validating], BatchStatuses.InProgress, CancellationToken.None);
    }

    private async Task RunLinesAsync(BatchJob job, CancellationToken stopping)
    {
        var pending = await store.PendingLinesAsync(job.Id, stopping);
        using var expiry = new CancellationTokenSource(Max(job.ExpiresAt - time.GetUtcNow(), TimeSpan.Zero), time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, expiry.Token);
        try
        {
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = options.Value.Concurrency, CancellationToken = linked.Token },
                (line, ct) => new ValueTask(RunLineAsync(job, line, ct)));
        }
        catch (OperationCanceledException) when (expiry.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            // The completion window ended: the batch expires with what it finished.
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private async Task RunLineAsync(BatchJob job, BatchLine line, CancellationToken cancellationToken)
    {
        var arrival = await store.ArrivalAsync(line, cancellationToken);
        var identity = new RequestIdentity(job.TenantId, job.KeyId, $"batch:{job.Id}:{line.LineIndex}", UsageSource.Batch);
        var kind = job.Endpoint == BatchEndpoints.ChatCompletions ? GenerationKind.Chat : GenerationKind.Completion;
        while (true)
        {
            try
            {
                ValidatedGeneration request;
                using (var body = JsonDocument.Parse(line.Body))
                {
                    request = GenerationPipeline.Validate(body.RootElement, kind, Stopwatch.GetTimestamp()) with { ReceivedAt = arrival, Stream = false };
                }

                var builder = new OpenAiResponseBuilder(kind, identity.RequestId, time.GetUtcNow().ToUnixTimeSeconds(), request.Model, request.Sampling.Logprobs);
                await foreach (var update in pipeline.RunAsync(request, identity, cancellationToken))
                {
                    builder.Add(update);
                }

                await store.FinishLineAsync(job.Id, line.LineIndex, true, ResultLine(line, identity.RequestId, 200, builder.Completion()), CancellationToken.None);
                return;
            }
            catch (ApiErrorException ex) when (IsBusy(ex.Error) && !cancellationToken.IsCancellationRequested)
            {
                // The tenant's slots are taken (interactive traffic goes first) or no worker is up yet: a batch waits.
                await Task.Delay(options.Value.BusyRetryDelay, time, cancellationToken);
                arrival = await store.RenewArrivalAsync(line, cancellationToken);
            }
            catch (ApiErrorException ex) when (!cancellationToken.IsCancellationRequested)
            {
                await store.FinishLineAsync(job.Id, line.LineIndex, false, ResultLine(line, identity.RequestId, ex.Error.Status, new OpenAiErrorResponse(ex.Error.Error)), CancellationToken.None);
                return;
            }
        }
    }

    private static bool IsBusy(ApiError error) => error.Status == 503 || error.Error.Code == "concurrency_limit_exceeded";

    private static string ResultLine(BatchLine line, string requestId, int status, object body) =>
        JsonSerializer.Serialize(new BatchResultLine("batch_req_" + line.BatchId["batch_".Length..] + "_" + line.LineIndex, line.CustomId, new BatchResultResponse(status, requestId, body), null), OpenAiJson.Options);

    private async Task FinishAsync(BatchJob job)
    {
        // Lines that never ran (cancelled or expired batch) go to the error file with the reason.
        if (job.Status is BatchStatuses.Cancelling or BatchStatuses.Expired)
        {
            var code = job.Status == BatchStatuses.Expired ? "batch_expired" : "batch_cancelled";
            foreach (var line in await store.PendingLinesAsync(job.Id, CancellationToken.None))
            {
                var error = new BatchResultLine("batch_req_" + job.Id["batch_".Length..] + "_" + line.LineIndex, line.CustomId, null,
                    new OpenAiError(code == "batch_expired" ? "This request could not be executed before the completion window expired." : "This request was not executed: the batch was cancelled.", ApiError.InvalidRequest, null, code));
                await store.FinishLineAsync(job.Id, line.LineIndex, false, JsonSerializer.Serialize(error, OpenAiJson.Options), CancellationToken.None);
            }
        }

        var output = await store.ResultFileAsync(job.Id, BatchLineStatuses.Completed, CancellationToken.None);
        var errors = await store.ResultFileAsync(job.Id, BatchLineStatuses.Failed, CancellationToken.None);
        var outputFile = output.Length > 0 ? await store.AddFileAsync(job.TenantId, "batch_output", $"{job.Id}_output.jsonl", output, CancellationToken.None) : null;
        var errorFile = errors.Length > 0 ? await store.AddFileAsync(job.TenantId, "batch_output", $"{job.Id}_error.jsonl", errors, CancellationToken.None) : null;
        var final = job.Status switch
        {
            BatchStatuses.Cancelling => BatchStatuses.Cancelled,
            BatchStatuses.Expired => BatchStatuses.Expired,
            _ => BatchStatuses.Completed,
        };
        await store.TransitionAsync(job.Id, [job.Status], final, CancellationToken.None, j =>
        {
            j.OutputFileId = outputFile?.Id;
            j.ErrorFileId = errorFile?.Id;
        });
        await NotifyAsync(job.Id);
    }

    private async Task NotifyAsync(string batchId)
    {
        if (await store.FindBatchAsync(null, batchId, CancellationToken.None) is { WebhookUrl: not null } job)
        {
            await webhook.SendAsync(job, CancellationToken.None);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Batch {BatchId} failed; it resumes when its grain runs again")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, string batchId);
}
