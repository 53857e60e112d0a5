namespace Maas.Generation.Responses;

public sealed record ChatResponseMessage(string Role, string Content);
