using Maas.Benchmarks.Engine;
using Maas.Benchmarks.Platform;

// `latency` measures a running platform, `metering` the durable usage path into PostgreSQL, `kernels` the engine's
// decode kernels; anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "latency")
{
    return await RequestLatency.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "metering")
{
    return await MeteringThroughput.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "kernels")
{
    return KernelThroughput.Run(args[1..]);
}

BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(RequestLatency).Assembly).Run(args);
return 0;
