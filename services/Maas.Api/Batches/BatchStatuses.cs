namespace Maas.Api.Batches;

/// <summary>OpenAI's batch statuses.</summary>
public static class BatchStatuses
{
    public const string Validating = "validating";
    public const string Failed = "failed";
    public const string InProgress = "in_progress";
    public const string Finalizing = "finalizing";
    public const string Completed = "completed";
    public const string Expired = "expired";
    public const string Cancelling = "cancelling";
    public const string Cancelled = "cancelled";

    /// <summary>Statuses a batch-job grain still has work in; resumed when an api silo starts.</summary>
    public static readonly string[] Unfinished = [Validating, InProgress, Finalizing, Cancelling];

    public static bool IsFinished(string status) => status is Failed or Completed or Expired or Cancelled;
}
