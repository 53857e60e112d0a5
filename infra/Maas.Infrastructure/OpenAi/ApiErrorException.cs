namespace Maas.Infrastructure.OpenAi;

/// <summary>Carries an <see cref="ApiError"/> out of deep validation or generation code to the adapter that writes it.</summary>
public sealed class ApiErrorException(ApiError error) : Exception(error.Error.Message)
{
    public ApiError Error { get; } = error;
}
