namespace Maas.Infrastructure.Persistence;

/// <summary>
/// One line of a batch's input file and, once run, its output or error line. A line with an output is never run
/// again (a silo restart resumes with the rest); <see cref="ReceivedAt"/> is fixed at the first attempt, so a line
/// re-run after a crash writes the same usage key and is metered once.
/// </summary>
public sealed class BatchLine
{
    public required string BatchId { get; set; }

    public int LineIndex { get; set; }

    public required string CustomId { get; set; }

    /// <summary>The request body as JSON.</summary>
    public required string Body { get; set; }

    /// <summary>pending, completed (output line written), failed (error line written).</summary>
    public required string Status { get; set; }

    /// <summary>The output or error file line (JSON), once run.</summary>
    public string? Result { get; set; }

    public DateTimeOffset? ReceivedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }
}
