namespace Maas.Grains.Abstractions.Batches;

/// <summary>
/// Runs one OpenAI batch (key: batch id) on an api silo: validates its input file, runs each line through the
/// generation pipeline at batch priority (usage source batch), writes the output and error files, and calls the
/// optional webhook. Its state is in PostgreSQL (batch_jobs, batch_lines), so after a silo restart
/// <see cref="RunAsync"/> picks up where the batch was without running finished lines again.
/// </summary>
[Alias("Maas.IBatchJobGrain")]
public interface IBatchJobGrain : IGrainWithStringKey
{
    /// <summary>Starts (or resumes) the batch in the background unless it is already running here or finished.</summary>
    [Alias("Run")]
    Task RunAsync();

    /// <summary>Stops running lines and finishes the batch as cancelled (finished lines stay in the output file).</summary>
    [Alias("Cancel")]
    Task CancelAsync();
}
