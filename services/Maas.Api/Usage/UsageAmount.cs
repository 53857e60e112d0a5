namespace Maas.Api.Usage;

/// <summary>A cost: exact decimal value (never floating point) and ISO 4217 currency.</summary>
public sealed record UsageAmount(decimal Value, string Currency);
