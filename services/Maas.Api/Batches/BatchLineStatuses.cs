namespace Maas.Api.Batches;

/// <summary>States of one batch line.</summary>
public static class BatchLineStatuses
{
    public const string Pending = "pending";
    public const string Completed = "completed";
    public const string Failed = "failed";
}
