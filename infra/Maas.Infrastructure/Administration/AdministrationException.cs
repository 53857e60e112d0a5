namespace Maas.Infrastructure.Administration;

/// <summary>An administration operation refused for a reason the operator can fix (a taken user name, a short password, ...).</summary>
public sealed class AdministrationException(string message) : Exception(message);
