namespace Maas.Infrastructure.Billing;

/// <summary>A billing operation refused for a reason an operator can fix (bad price, unpriced usage, finalised invoice).</summary>
public sealed class BillingException(string message) : Exception(message);
