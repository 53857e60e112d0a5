namespace Maas.EndToEnd.Tests;

/// <summary>A tenant created for a test run and its one API key.</summary>
public sealed record TestTenant(string Id, string Secret, Guid KeyId);
