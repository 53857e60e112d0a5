using Maas.Generation.Requests;
using Maas.Generation.Tests.Support;
using Maas.Grains.Abstractions.Tenancy;
using Maas.Infrastructure.Metering;
using Maas.Infrastructure.OpenAi;
using Maas.Infrastructure.Persistence;
using Maas.Testing;

namespace Maas.Generation.Tests;

/// <summary>
/// <see cref="Pipeline.GenerationPipeline"/> driven directly, as the plant service and batch jobs will drive it: real
/// admission by the tenant grain of an api-role silo, real generation by a worker process, one usage record per
/// admitted request.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class GenerationPipelineTests(PipelineFixture fixture)
{
    private const string Model = PipelineFixture.Model;

    [Fact]
    public async Task Chat_run_yields_updates_ending_with_the_finish_reason_and_usage()
    {
        var request = PipelineRequests.Validate(GenerationKind.Chat, $$"""{ "model": "{{Model}}", "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 6, "ignore_eos": true }""");
        var identity = PipelineRequests.Identity(SeededTenants.All);

        var updates = await PipelineRequests.RunToEndAsync(fixture.Pipeline, request, identity);

        var last = updates[^1];
        Assert.Equal("length", last.FinishReason);
        var usage = Assert.IsType<Responses.CompletionUsage>(last.Usage);
        Assert.Equal(6, usage.CompletionTokens);
        Assert.True(usage.PromptTokens > 0);
        Assert.Equal(usage.PromptTokens + usage.CompletionTokens, usage.TotalTokens);
        Assert.All(updates[..^1], u => Assert.True(u.FinishReason is null && u.Usage is null, "only the last update finishes"));
        Assert.InRange(updates.Count, 1, 7);
    }

    [Fact]
    public async Task Completed_run_writes_one_usage_record_by_the_time_the_enumeration_ends()
    {
        var request = PipelineRequests.Validate(GenerationKind.Completion, $$"""{ "model": "{{Model}}", "prompt": "Once upon a time", "max_tokens": 3, "ignore_eos": true }""");
        var identity = PipelineRequests.Identity(SeededTenants.All, keyId: "key-usage");

        var updates = await PipelineRequests.RunToEndAsync(fixture.Pipeline, request, identity);

        // No waiting: the pipeline writes the record before its enumeration ends.
        var record = Assert.Single(fixture.Usage.For(identity.RequestId));
        var usage = updates[^1].Usage!;
        Assert.Equal(UsageFinishReason.Length, record.FinishReason);
        Assert.Equal((SeededTenants.All, "key-usage", Model, "completions", UsageSource.Api), (record.TenantId, record.KeyId, record.Model, record.Endpoint, record.Source));
        Assert.Equal((usage.PromptTokens, usage.CompletionTokens), (record.PromptTokens, record.CompletionTokens));
        Assert.Equal(3, record.CompletionTokens);
        Assert.StartsWith("sha256:", record.WeightsDigest, StringComparison.Ordinal);
        Assert.NotNull(record.FirstTokenAt);
        Assert.True(record.ReceivedAt <= record.FirstTokenAt && record.FirstTokenAt <= record.FinishedAt);
        Assert.Equal(TimeSpan.Zero, record.ReceivedAt.Offset);
        Assert.Equal(0, record.FinishedAt.Ticks % 10);
    }

    [Fact]
    public async Task Every_admitted_request_of_a_concurrent_burst_writes_exactly_one_usage_record()
    {
        var identities = Enumerable.Range(0, 4).Select(_ => PipelineRequests.Identity(SeededTenants.All)).ToArray();

        await Task.WhenAll(identities.Select(identity => PipelineRequests.RunToEndAsync(
            fixture.Pipeline,
            PipelineRequests.Validate(GenerationKind.Chat, $$"""{ "model": "{{Model}}", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2, "ignore_eos": true }"""),
            identity)));

        Assert.All(identities, identity => Assert.Equal(UsageFinishReason.Length, Assert.Single(fixture.Usage.For(identity.RequestId)).FinishReason));
    }

    [Fact]
    public async Task Cancelled_run_records_finish_reason_cancelled_and_releases_the_tenant_slot()
    {
        var tenantId = await CreateTenantAsync(maxConcurrentRequests: 1);
        var tenant = fixture.Api.Grains.GetGrain<ITenantGrain>(tenantId);
        var identity = PipelineRequests.Identity(tenantId);

        // No max_tokens: the rest of the 4096-token context, far more than is produced before the cancel.
        var request = PipelineRequests.Validate(GenerationKind.Completion, $$"""{ "model": "{{Model}}", "prompt": "Tell a very long story.", "ignore_eos": true }""");
        using var cancel = new CancellationTokenSource();
        var received = 0;
        var heldWhileRunning = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in fixture.Pipeline.RunAsync(request, identity, cancel.Token))
            {
                if (++received == 1)
                {
                    heldWhileRunning = await tenant.GetActiveRequestsAsync();
                    await cancel.CancelAsync();
                }
            }
        });

        var record = Assert.Single(fixture.Usage.For(identity.RequestId));
        Assert.Equal(1, heldWhileRunning);
        Assert.Equal(UsageFinishReason.Cancelled, record.FinishReason);
        Assert.InRange(record.CompletionTokens, 1, 4000);
        Assert.Equal(0, await tenant.GetActiveRequestsAsync());

        // The tenant's one slot is free: the next request is admitted and completes.
        var next = PipelineRequests.Identity(tenantId);
        await PipelineRequests.RunToEndAsync(fixture.Pipeline, PipelineRequests.Validate(GenerationKind.Completion, $$"""{ "model": "{{Model}}", "prompt": "Hi", "max_tokens": 1 }"""), next);
        Assert.Contains(Assert.Single(fixture.Usage.For(next.RequestId)).FinishReason, new[] { UsageFinishReason.Stop, UsageFinishReason.Length });
    }

    [Theory]
    [InlineData(SeededTenants.B, 403, "model_not_allowed")]
    [InlineData(SeededTenants.Disabled, 403, "tenant_disabled")]
    [InlineData("no-such-tenant", 403, "tenant_not_found")]
    public async Task Refused_admission_throws_before_any_update_and_writes_no_usage_record(string tenantId, int status, string code)
    {
        var identity = PipelineRequests.Identity(tenantId);
        var request = PipelineRequests.Validate(GenerationKind.Chat, $$"""{ "model": "{{Model}}", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2 }""");

        var (updates, error) = await RunExpectingErrorAsync(request, identity);

        Assert.Equal(0, updates);
        Assert.Equal((status, code), (error.Error.Status, error.Error.Error.Code));
        Assert.Empty(fixture.Usage.For(identity.RequestId));
    }

    [Fact]
    public async Task Tenant_at_its_concurrency_limit_is_refused_with_429_before_any_update_and_no_usage_record()
    {
        var tenantId = await CreateTenantAsync(maxConcurrentRequests: 1);
        var tenant = fixture.Api.Grains.GetGrain<ITenantGrain>(tenantId);
        Assert.True((await tenant.AdmitAsync(new AdmissionRequest("holder", "key-1", Model, 16, 4))).Allowed);
        try
        {
            var identity = PipelineRequests.Identity(tenantId);
            var request = PipelineRequests.Validate(GenerationKind.Completion, $$"""{ "model": "{{Model}}", "prompt": "Hi", "max_tokens": 2 }""");

            var (updates, error) = await RunExpectingErrorAsync(request, identity);

            Assert.Equal(0, updates);
            Assert.Equal((429, "concurrency_limit_exceeded"), (error.Error.Status, error.Error.Error.Code));
            Assert.Empty(fixture.Usage.For(identity.RequestId));
            Assert.Equal(1, await tenant.GetActiveRequestsAsync());
        }
        finally
        {
            await tenant.ReleaseAsync("holder", SettledUsage.None);
        }
    }

    [Fact]
    public async Task Prompt_over_the_character_budget_is_refused_before_admission()
    {
        // The tiny model's context is 4096 tokens: 4096 x 16 characters is the most a prompt may have before tokenizing.
        var tenantId = await CreateTenantAsync(maxConcurrentRequests: 1);
        var identity = PipelineRequests.Identity(tenantId);
        var longPrompt = string.Join(' ', Enumerable.Repeat("pump", 14_000));
        var request = PipelineRequests.Validate(GenerationKind.Completion, $$"""{ "model": "{{Model}}", "prompt": "{{longPrompt}}", "max_tokens": 1 }""");

        var (updates, error) = await RunExpectingErrorAsync(request, identity);

        Assert.Equal(0, updates);
        Assert.Equal((400, "context_length_exceeded"), (error.Error.Status, error.Error.Error.Code));
        Assert.Contains("characters", error.Error.Error.Message, StringComparison.Ordinal);
        Assert.Empty(fixture.Usage.For(identity.RequestId));
        Assert.Equal(0, await fixture.Api.Grains.GetGrain<ITenantGrain>(tenantId).GetActiveRequestsAsync());
    }

    [Fact]
    public async Task Prompt_beyond_the_context_once_tokenized_is_refused_after_admission_with_a_rejected_usage_record()
    {
        // Admission comes first, on a bound; the exact count is known only after tokenizing: the slot is released
        // and the one usage record of the admitted request says rejected, with no tokens.
        var tenantId = await CreateTenantAsync(maxConcurrentRequests: 1);
        var identity = PipelineRequests.Identity(tenantId);
        var longPrompt = string.Join(' ', Enumerable.Repeat("pump", 5000));
        var request = PipelineRequests.Validate(GenerationKind.Completion, $$"""{ "model": "{{Model}}", "prompt": "{{longPrompt}}", "max_tokens": 1 }""");

        var (updates, error) = await RunExpectingErrorAsync(request, identity);

        Assert.Equal(0, updates);
        Assert.Equal((400, "context_length_exceeded"), (error.Error.Status, error.Error.Error.Code));
        var record = Assert.Single(fixture.Usage.For(identity.RequestId));
        Assert.Equal((UsageFinishReason.Rejected, 0, 0), (record.FinishReason, record.PromptTokens, record.CompletionTokens));
        Assert.Equal(0, await fixture.Api.Grains.GetGrain<ITenantGrain>(tenantId).GetActiveRequestsAsync());
    }

    private async Task<(int Updates, ApiErrorException Error)> RunExpectingErrorAsync(ValidatedGeneration request, Pipeline.RequestIdentity identity)
    {
        var updates = 0;
        var error = await Assert.ThrowsAsync<ApiErrorException>(async () =>
        {
            await foreach (var _ in fixture.Pipeline.RunAsync(request, identity, CancellationToken.None))
            {
                updates++;
            }
        });
        return (updates, error);
    }

    [Fact]
    public async Task Admission_reserves_the_max_tokens_the_pipeline_applies_and_release_settles_the_real_cost()
    {
        // A budget for a short request, far below what the default max_tokens (the rest of the 4096-token context) may cost.
        var budget = (50 * TestPrices.InputMiss + 10 * TestPrices.Output) / 1_000_000m;
        var tenantId = await CreateTenantAsync(maxConcurrentRequests: 4, monthlyBudget: budget);

        var unbounded = PipelineRequests.Validate(GenerationKind.Completion, $$"""{ "model": "{{Model}}", "prompt": "Hi", "ignore_eos": true }""");
        var (updates, error) = await RunExpectingErrorAsync(unbounded, PipelineRequests.Identity(tenantId));
        Assert.Equal(0, updates);
        Assert.Equal((429, "insufficient_quota"), (error.Error.Status, error.Error.Error.Code));

        var bounded = PipelineRequests.Validate(GenerationKind.Completion, $$"""{ "model": "{{Model}}", "prompt": "Hi", "max_tokens": 2, "ignore_eos": true }""");
        var identity = PipelineRequests.Identity(tenantId);
        await PipelineRequests.RunToEndAsync(fixture.Pipeline, bounded, identity);

        var record = Assert.Single(fixture.Usage.For(identity.RequestId));
        var spend = await fixture.Api.Grains.GetGrain<ITenantGrain>(tenantId).GetSpendAsync();
        Assert.Equal((record.PromptTokens * TestPrices.InputMiss + 2 * TestPrices.Output) / 1_000_000m, spend.Spent);
        Assert.Equal(0m, spend.Reserved);
    }

    private async Task<string> CreateTenantAsync(int maxConcurrentRequests, decimal? monthlyBudget = null)
    {
        var id = "pipe-tenant-" + Guid.NewGuid().ToString("N")[..8];
        await using var db = fixture.Api.Database.CreateContext();
        db.Tenants.Add(new Tenant { Id = id, Name = id, AllowedModels = [], MaxConcurrentRequests = maxConcurrentRequests, MonthlyBudget = monthlyBudget });
        await db.SaveChangesAsync();
        return id;
    }
}
