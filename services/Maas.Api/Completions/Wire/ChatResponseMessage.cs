namespace Maas.Api.Completions.Wire;

public sealed record ChatResponseMessage(string Role, string Content);
