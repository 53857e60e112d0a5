using Maas.Benchmarks.Engine;
using Maas.Benchmarks.Platform;

// `latency` measures a running platform, `fairness` one tenant's request while another floods platform processes it
// starts, `plant` the MQTT endpoint and batches on processes it starts, `gateway` the gateway alone in-process,
// `metering` the durable usage path
// into PostgreSQL, `kernels` the engine's decode kernels, `attention` its MLA attention, `finetunes` tenant fine-tunes in mixed batches; anything else goes to
// BenchmarkDotNet.
if (args.Length > 0 && args[0] == "latency")
{
    return await RequestLatency.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "gateway")
{
    return await GatewayOverhead.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "fairness")
{
    return await TenantFairness.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "plant")
{
    return await PlantThroughput.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "metering")
{
    return await MeteringThroughput.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "kernels")
{
    return KernelThroughput.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "finetunes")
{
    return await FineTuneThroughput.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "attention")
{
    return AttentionThroughput.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "structured")
{
    return await StructuredOutputThroughput.RunAsync(args[1..]);
}

BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(RequestLatency).Assembly).Run(args);
return 0;
