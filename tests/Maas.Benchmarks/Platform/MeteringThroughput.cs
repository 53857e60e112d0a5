using System.Diagnostics;
using System.Globalization;
using Maas.Infrastructure.Hosting;
using Maas.Infrastructure.Metering;
using Maas.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Maas.Benchmarks.Platform;

/// <summary>
/// The durable metering path (PostgresUsageSink: group commit into usage_events + usage_hourly) against the PostgreSQL
/// of infra/dev/deps.sh, in a fresh database: (1) throughput, records/s committed with many requests waiting on their
/// own record at once; (2) what it adds to a request at a steady 500 requests/s: the time from handing a record over to
/// its commit, p50/p99. Each record is a different request of one of 20 tenants x 5 keys x 3 models.
///   dotnet run -c Release --project tests/Maas.Benchmarks -- metering [--records 300000] [--concurrency 4096] [--rate 500] [--seconds 20] [--writers 2] [--batch 512]
/// </summary>
public static class MeteringThroughput
{
    private static readonly string[] Models = ["deepseek-a", "deepseek-b", "deepseek-c"];

    public static async Task<int> RunAsync(string[] args)
    {
        var records = int.Parse(Arg(args, "--records") ?? "300000", CultureInfo.InvariantCulture);
        var concurrency = int.Parse(Arg(args, "--concurrency") ?? "4096", CultureInfo.InvariantCulture);
        var rate = int.Parse(Arg(args, "--rate") ?? "500", CultureInfo.InvariantCulture);
        var seconds = int.Parse(Arg(args, "--seconds") ?? "20", CultureInfo.InvariantCulture);

        await using var database = await PostgresTestDatabase.CreateAsync();
        await TestPrices.SeedAsync(database, Models);
        var spill = Path.Combine(Path.GetTempPath(), "maas-bench-spill-" + Guid.NewGuid().ToString("N")[..8]);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["Maas:Metering:SpillDirectory"] = spill,
        };
        if (Arg(args, "--writers") is { } writers)
        {
            settings["Maas:Metering:Writers"] = writers;
        }

        if (Arg(args, "--batch") is { } batch)
        {
            settings["Maas:Metering:MaxBatchSize"] = batch;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.AddMaasPostgres();
        builder.Services.AddMaasMetering();
        using var host = builder.Build();
        await host.StartAsync();
        var sink = host.Services.GetRequiredService<IUsageSink>();
        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MeteringOptions>>().Value;

        Console.WriteLine($"metering benchmark: PostgreSQL {database.Name}, {options.Writers} writers, batches up to {options.MaxBatchSize}, CPU {Cpu()}, {Environment.ProcessorCount} cores");

        // Warm-up: connections, prepared statement, partitions, price book.
        await Throughput(sink, 20_000, 512, "warmup");

        if (args.Contains("--writer-only"))
        {
            // The statement alone, no queue: prebuilt batches written back to back by each writer.
            var writer = host.Services.GetRequiredService<UsageEventWriter>();
            var batches = Enumerable.Range(0, records / options.MaxBatchSize).Select(b => Enumerable.Range(0, options.MaxBatchSize).Select(i => Record($"w-{b}-{i}", i)).ToList()).ToList();
            var nextBatch = -1;
            var t0 = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, options.Writers).Select(_ => Task.Run(async () =>
            {
                int b;
                while ((b = Interlocked.Increment(ref nextBatch)) < batches.Count)
                {
                    await writer.WriteAsync(batches[b], CancellationToken.None);
                }
            })));
            var writerTime = Stopwatch.GetElapsedTime(t0);
            Console.WriteLine($"writer only: {batches.Count * options.MaxBatchSize:N0} records in {writerTime.TotalSeconds:F2} s = {batches.Count * options.MaxBatchSize / writerTime.TotalSeconds:N0} records/s");
        }

        var started = Stopwatch.GetTimestamp();
        await Throughput(sink, records, concurrency, "run");
        var elapsed = Stopwatch.GetElapsedTime(started);
        Console.WriteLine($"throughput: {records:N0} records committed in {elapsed.TotalSeconds:F2} s = {records / elapsed.TotalSeconds:N0} records/s ({concurrency} requests waiting at once)");

        var latencies = await SteadyRate(sink, rate, seconds);
        Array.Sort(latencies);
        Console.WriteLine($"added latency at {rate} requests/s for {seconds} s ({latencies.Length:N0} records): " +
            $"p50 {Percentile(latencies, 0.50):F3} ms, p90 {Percentile(latencies, 0.90):F3} ms, p99 {Percentile(latencies, 0.99):F3} ms, max {latencies[^1]:F3} ms");

        await host.StopAsync();
        Directory.Delete(spill, recursive: true);
        return 0;
    }

    private static async Task Throughput(IUsageSink sink, int records, int concurrency, string run)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < records)
            {
                await sink.RecordAsync(Record($"{run}-{i}", i), CancellationToken.None);
            }
        })));
    }

    /// <summary>Open loop: a record every 1/rate s on schedule (late ones catch up), each timed until durable.</summary>
    private static async Task<double[]> SteadyRate(IUsageSink sink, int rate, int seconds)
    {
        var total = rate * seconds;
        var latencies = new double[total];
        var pending = new List<Task>(total);
        var interval = TimeSpan.FromSeconds(1.0 / rate);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < total; i++)
        {
            var due = interval * i;
            var wait = due - Stopwatch.GetElapsedTime(start);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }

            var index = i;
            pending.Add(Task.Run(async () =>
            {
                var t = Stopwatch.GetTimestamp();
                await sink.RecordAsync(Record($"steady-{index}", index), CancellationToken.None);
                latencies[index] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            }));
        }

        await Task.WhenAll(pending);
        return latencies;
    }

    private static UsageRecord Record(string id, int i)
    {
        var now = UsageRecord.Microseconds(DateTimeOffset.UtcNow);
        return new UsageRecord
        {
            RequestId = "req_bench_" + id,
            TenantId = "tenant-" + (i % 20),
            KeyId = "key-" + (i % 100),
            Model = Models[i % Models.Length],
            WeightsDigest = "sha256:0f3a9c5e1b7d2468ace0f3a9c5e1b7d2468ace0f3a9c5e1b7d2468ace0f3a9c5e",
            Endpoint = "chat.completions",
            PromptTokens = 200 + (i % 800),
            CachedPromptTokens = i % 3 == 0 ? 64 : 0,
            CompletionTokens = 50 + (i % 300),
            ReceivedAt = now.AddMilliseconds(-900),
            FirstTokenAt = now.AddMilliseconds(-700),
            FinishedAt = now,
            FinishReason = UsageFinishReason.Stop,
        };
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static string Cpu() =>
        File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?" : "?";

    private static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
