namespace Maas.Gateway.Forwarding;

/// <summary>HttpContext feature: the SHA-256 (lower-case hex) of the request body as it will be forwarded, for the signature.</summary>
public sealed record ForwardedBody(string Sha256);
