namespace Maas.Api.Errors;

/// <summary>Carries an <see cref="ApiError"/> out of deep validation code to the endpoint that writes it.</summary>
public sealed class ApiErrorException(ApiError error) : Exception(error.Error.Message)
{
    public ApiError Error { get; } = error;
}
