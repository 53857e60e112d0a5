namespace Maas.Gateway.Authentication;

/// <summary>PostgreSQL could not answer a key lookup; the request gets 503, not 500.</summary>
public sealed class ApiKeyStoreUnavailableException(Exception inner)
    : Exception("The API key store could not be reached.", inner);
