using Maas.Infrastructure.Persistence;

namespace Maas.Infrastructure.Tenancy;

/// <summary>A newly created key and its secret. The secret exists only here: it is shown once and never stored.</summary>
public sealed record IssuedApiKey(ApiKey Key, string Secret);
