namespace Maas.Api.Usage;

/// <summary>One time bucket (a UTC day, or the whole range) with its results; start and end in Unix seconds.</summary>
public sealed record UsageTimeBucket(long StartTime, long EndTime, IReadOnlyList<UsageResult> Results)
{
    public string Object => "bucket";
}
