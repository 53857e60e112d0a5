namespace Maas.Api.Batches;

/// <summary>The HTTP response a line would have had: status, request id and body (a completion or an error).</summary>
public sealed record BatchResultResponse(int StatusCode, string RequestId, object Body);
