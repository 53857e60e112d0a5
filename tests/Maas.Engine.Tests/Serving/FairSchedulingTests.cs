using Maas.Engine.Serving;
using Xunit;

namespace Maas.Engine.Tests.Serving;

/// <summary>
/// Scheduling that cannot be held hostage: requests larger than the cache refused on arrival, a bounded queue, queue
/// deadlines, tenants admitted round-robin by weight, a newcomer preempting a tenant that filled the batch, and small
/// requests passing a large one that waits for KV pages (until it has waited long enough to hold them).
/// </summary>
public sealed class FairSchedulingTests(RandomModelFixture fixture) : IClassFixture<RandomModelFixture>
{
    private static GenerationRequest Request(string id, string tenant, int promptLength, int maxTokens, int weight = 1, TimeSpan? queueTimeout = null) => new()
    {
        RequestId = id,
        PromptTokens = [.. Enumerable.Range(0, promptLength).Select(i => 100 + (i * 7 % 900))],
        MaxTokens = maxTokens,
        Sampling = new SamplingParameters { Temperature = 0 },
        StopAtEos = false,
        TenantId = tenant,
        TenantWeight = weight,
        QueueTimeout = queueTimeout,
    };

    private static async Task<List<GenerationEvent>> CollectAsync(InferenceEngine engine, GenerationRequest request, TaskCompletionSource? firstToken = null)
    {
        var events = new List<GenerationEvent>();
        await foreach (var e in engine.GenerateAsync(request, CancellationToken.None))
        {
            events.Add(e);
            if (e.TokenId >= 0)
            {
                firstToken?.TrySetResult();
            }
        }

        return events;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the engine");
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task A_request_needing_more_kv_than_the_cache_holds_is_refused_on_arrival_naming_the_limit()
    {
        await using var engine = fixture.Load(tune: o => o with { KvCacheTokens = 256 });
        Assert.Equal(256, engine.Model.KvCacheTokens);

        var refused = await Assert.ThrowsAsync<GenerationRefusedException>(() => CollectAsync(engine, Request("big", "a", 16, 300)));

        Assert.Equal(GenerationRefusal.ExceedsKvCache, refused.Reason);
        Assert.Equal(256, refused.Limit);
        Assert.Contains("256", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, engine.Steps);

        // One that fits still runs.
        var events = await CollectAsync(engine, Request("fits", "a", 16, 24));
        Assert.Equal(FinishReason.Length, events[^1].Finish);
    }

    [Fact]
    public async Task A_full_queue_refuses_the_next_request_at_once_and_the_waiting_ones_still_run()
    {
        await using var engine = fixture.Load(maxBatchSequences: 1, tune: o => o with { MaxQueuedSequences = 2 });
        var started = new TaskCompletionSource();
        var running = Task.Run(() => CollectAsync(engine, Request("running", "a", 8, 40), started));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var waiting = new[] { Task.Run(() => CollectAsync(engine, Request("w1", "a", 8, 2))), Task.Run(() => CollectAsync(engine, Request("w2", "b", 8, 2))) };
        await WaitUntilAsync(() => engine.QueuedSequences == 2);

        var refused = await Assert.ThrowsAsync<GenerationRefusedException>(() => CollectAsync(engine, Request("third", "c", 8, 2)));

        Assert.Equal(GenerationRefusal.QueueFull, refused.Reason);
        Assert.Equal(2, refused.Limit);
        foreach (var result in await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(60)))
        {
            Assert.Equal(2, result[^1].CompletionTokens);
        }

        await running;
    }

    [Fact]
    public async Task A_request_not_started_by_its_queue_deadline_is_refused_and_the_running_one_is_untouched()
    {
        await using var engine = fixture.Load(maxBatchSequences: 1);
        using var stop = new CancellationTokenSource();
        var started = new TaskCompletionSource();
        var running = Task.Run(async () =>
        {
            var tokens = 0;
            await foreach (var e in engine.GenerateAsync(Request("running", "a", 8, 100_000), stop.Token))
            {
                tokens += e.TokenId >= 0 ? 1 : 0;
                started.TrySetResult();
            }

            return tokens;
        });
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var refused = await Assert.ThrowsAsync<GenerationRefusedException>(
            () => CollectAsync(engine, Request("late", "b", 8, 2, queueTimeout: TimeSpan.FromMilliseconds(300)))).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(GenerationRefusal.QueueTimeout, refused.Reason);
        Assert.Equal(0, engine.QueuedSequences);
        Assert.False(running.IsCompleted);
        Assert.Equal(1, engine.ActiveSequences);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running).WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Waiting_tenants_are_admitted_round_robin_by_weight()
    {
        // One slot: the admission order is the order of first tokens. Tenant a (weight 2) queues four, then b (weight 1)
        // four: a a b a a b b b, however early a queued.
        await using var engine = fixture.Load(maxBatchSequences: 1);
        var started = new TaskCompletionSource();
        var blocker = Task.Run(() => CollectAsync(engine, Request("blocker", "c", 8, 30), started));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var requests = new List<(string Tenant, Task<List<GenerationEvent>> Events)>();
        foreach (var (tenant, weight) in new[] { ("a", 2), ("b", 1) })
        {
            for (var i = 0; i < 4; i++)
            {
                var request = Request($"{tenant}{i}", tenant, 8, 2, weight);
                requests.Add((tenant, Task.Run(() => CollectAsync(engine, request))));
                var expected = requests.Count;
                await WaitUntilAsync(() => engine.QueuedSequences == expected);
            }
        }

        await Task.WhenAll(requests.Select(r => r.Events)).WaitAsync(TimeSpan.FromSeconds(120));
        await blocker;
        var order = requests.OrderBy(r => r.Events.Result.First(e => e.TokenId >= 0).Step).Select(r => r.Tenant);

        Assert.Equal("aabaabbb", string.Concat(order));
        Assert.Equal(0, engine.Preemptions);
    }

    [Fact]
    public async Task Another_tenants_request_starts_within_a_step_while_one_tenant_fills_the_batch_and_floods_the_queue()
    {
        await using var engine = fixture.Load(maxBatchSequences: 4);
        var floodStarted = new TaskCompletionSource();
        var flood = Enumerable.Range(0, 12)
            .Select(i => Task.Run(() => CollectAsync(engine, Request($"flood{i}", "flooder", 24, 24), floodStarted)))
            .ToArray();
        await floodStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await WaitUntilAsync(() => engine.ActiveSequences == 4 && engine.QueuedSequences == 8);

        var before = engine.Steps;
        var single = await CollectAsync(engine, Request("single", "other", 8, 1)).WaitAsync(TimeSpan.FromSeconds(60));

        // The step running when it arrived, then its own step (prefill + first token).
        var firstTokenStep = single.First(e => e.TokenId >= 0).Step;
        Assert.True(firstTokenStep <= before + 2, $"first token at step {firstTokenStep}, queued after step {before}");
        Assert.True(engine.Preemptions >= 1);
        foreach (var result in await Task.WhenAll(flood).WaitAsync(TimeSpan.FromSeconds(180)))
        {
            Assert.Equal(FinishReason.Length, result[^1].Finish);
            Assert.Equal(24, result[^1].CompletionTokens);
        }
    }

    [Fact]
    public async Task Small_requests_pass_one_that_waits_for_kv_pages_until_it_has_waited_long_enough_to_hold_them()
    {
        // 64 cache tokens (4 pages): a running 8 + 24 request takes 2 pages; a waiting 8 + 40 one (3 pages) does not fit
        // and a small 8 + 4 one (1 page) passes it. With no bypass time at all, the large one holds the pages and the
        // small one behind it waits for them.
        await using var engine = fixture.Load(maxBatchSequences: 4, tune: o => o with { KvCacheTokens = 64, KvBypassWait = TimeSpan.FromMinutes(5) });
        var first = new TaskCompletionSource();
        var running = Task.Run(() => CollectAsync(engine, Request("running", "a", 8, 24), first));
        await first.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var large = Task.Run(() => CollectAsync(engine, Request("large", "a", 8, 40)));
        await WaitUntilAsync(() => engine.QueuedSequences == 1);

        var small = await CollectAsync(engine, Request("small", "a", 8, 4)).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.False(running.IsCompleted);
        Assert.False(large.IsCompleted);
        Assert.Equal(4, small[^1].CompletionTokens);
        await Task.WhenAll(running, large).WaitAsync(TimeSpan.FromSeconds(180));

        await using var holding = fixture.Load(maxBatchSequences: 4, tune: o => o with { KvCacheTokens = 64, KvBypassWait = TimeSpan.Zero });
        first = new TaskCompletionSource();
        running = Task.Run(() => CollectAsync(holding, Request("running", "a", 8, 24), first));
        await first.Task.WaitAsync(TimeSpan.FromSeconds(30));
        large = Task.Run(() => CollectAsync(holding, Request("large", "a", 8, 40)));
        await WaitUntilAsync(() => holding.QueuedSequences == 1);
        var held = await CollectAsync(holding, Request("small", "a", 8, 4)).WaitAsync(TimeSpan.FromSeconds(180));

        var runningEvents = await running;
        Assert.True(held.First(e => e.TokenId >= 0).Step > runningEvents[^1].Step, "the small request started before the held pages were free");
        await large.WaitAsync(TimeSpan.FromSeconds(180));
    }
}
