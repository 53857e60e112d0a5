namespace Maas.Gateway.Tests.Support;

/// <summary>What <see cref="EchoUpstream"/> saw of a request.</summary>
public sealed record EchoedRequest(string Method, string Path, Dictionary<string, string> Headers, long BodyLength);
