namespace Maas.Api.Errors;

public sealed record OpenAiErrorResponse(OpenAiError Error);
