namespace Maas.Gateway.Authentication;

/// <summary>A lookup as <see cref="ApiKeyCache"/> holds it: the answer and when PostgreSQL gave it.</summary>
internal sealed record CachedApiKey(ApiKeyLookup Lookup, DateTimeOffset FetchedAt);
