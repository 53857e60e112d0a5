namespace Maas.Grains.Abstractions.Tenancy;

/// <summary>The answer to <see cref="ITenantGrain.AdmitAsync"/>.</summary>
[GenerateSerializer, Immutable, Alias("Maas.AdmissionResult")]
public sealed record AdmissionResult(
    [property: Id(0)] bool Allowed,
    [property: Id(1)] AdmissionError Error,
    [property: Id(2)] string Message,
    [property: Id(3)] int? RetryAfterSeconds)
{
    public static AdmissionResult Admitted { get; } = new(true, AdmissionError.None, "", null);

    public static AdmissionResult Refused(AdmissionError error, string message, int? retryAfterSeconds = null) =>
        new(false, error, message, retryAfterSeconds);
}
