using System.Diagnostics;
using System.Text.Json;
using Maas.Generation.Pipeline;
using Maas.Generation.Requests;

namespace Maas.Generation.Tests.Support;

/// <summary>Builds pipeline inputs the way an entry point does: an OpenAI JSON body through stage 1, and an identity.</summary>
public static class PipelineRequests
{
    public static ValidatedGeneration Validate(GenerationKind kind, string json)
    {
        using var body = JsonDocument.Parse(json);
        return GenerationPipeline.Validate(body.RootElement, kind, Stopwatch.GetTimestamp());
    }

    /// <summary>A fresh request id per call, so usage records of one test never mix with another's.</summary>
    public static RequestIdentity Identity(string tenant, string keyId = "key-1") =>
        new(tenant, keyId, "pipe-" + Guid.NewGuid().ToString("N")[..12]);

    public static async Task<List<GenerationUpdate>> RunToEndAsync(GenerationPipeline pipeline, ValidatedGeneration request, RequestIdentity identity)
    {
        var updates = new List<GenerationUpdate>();
        await foreach (var update in pipeline.RunAsync(request, identity, CancellationToken.None))
        {
            updates.Add(update);
        }

        return updates;
    }
}
