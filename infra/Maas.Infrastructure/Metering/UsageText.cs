namespace Maas.Infrastructure.Metering;

/// <summary>The text forms of the metering enums, as stored in PostgreSQL and shown by the CLI.</summary>
public static class UsageText
{
    public static string Of(UsageSource source) => source switch
    {
        UsageSource.Api => "api",
        UsageSource.Batch => "batch",
        UsageSource.Plant => "plant",
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, null),
    };

    public static string Of(UsageFinishReason reason) => reason switch
    {
        UsageFinishReason.Stop => "stop",
        UsageFinishReason.Length => "length",
        UsageFinishReason.Cancelled => "cancelled",
        UsageFinishReason.ContextFull => "context_full",
        UsageFinishReason.Error => "error",
        UsageFinishReason.Rejected => "rejected",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };
}
