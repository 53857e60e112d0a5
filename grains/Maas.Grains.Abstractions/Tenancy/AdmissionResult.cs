namespace Maas.Grains.Abstractions.Tenancy;

/// <summary>
/// The answer to <see cref="ITenantGrain.AdmitAsync"/>. An admitted request holds its slot for <see cref="LeaseDuration"/>
/// unless renewed (<see cref="ITenantGrain.RenewAsync"/>), so the caller knows how often to renew.
/// </summary>
[GenerateSerializer, Immutable, Alias("Maas.AdmissionResult")]
public sealed record AdmissionResult(
    [property: Id(0)] bool Allowed,
    [property: Id(1)] AdmissionError Error,
    [property: Id(2)] string Message,
    [property: Id(3)] int? RetryAfterSeconds,
    [property: Id(4)] TimeSpan LeaseDuration)
{
    /// <summary>The tenant's <see cref="TenantPolicy.SchedulingWeight"/>, passed on to the engine with the request.</summary>
    [Id(5)]
    public int SchedulingWeight { get; init; } = 1;

    public static AdmissionResult Admitted(TimeSpan leaseDuration, int schedulingWeight = 1) =>
        new(true, AdmissionError.None, "", null, leaseDuration) { SchedulingWeight = schedulingWeight };

    public static AdmissionResult Refused(AdmissionError error, string message, int? retryAfterSeconds = null) =>
        new(false, error, message, retryAfterSeconds, TimeSpan.Zero);
}
