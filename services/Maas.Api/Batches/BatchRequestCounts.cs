namespace Maas.Api.Batches;

public sealed record BatchRequestCounts(int Total, int Completed, int Failed);
