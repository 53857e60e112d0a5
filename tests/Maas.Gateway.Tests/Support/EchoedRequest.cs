namespace Maas.Gateway.Tests.Support;

/// <summary>What <see cref="EchoUpstream"/> saw of a request (<paramref name="BodySha256"/>: lower-case hex of the body it received).</summary>
public sealed record EchoedRequest(string Method, string Path, string Query, Dictionary<string, string> Headers, long BodyLength, string BodySha256);
