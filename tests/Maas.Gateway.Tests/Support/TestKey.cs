namespace Maas.Gateway.Tests.Support;

/// <summary>A key created for a test, with its plain secret.</summary>
public sealed record TestKey(Guid Id, string TenantId, string Secret);
