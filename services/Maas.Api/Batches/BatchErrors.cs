namespace Maas.Api.Batches;

/// <summary>Why a batch failed validation: OpenAI's errors object.</summary>
public sealed record BatchErrors(IReadOnlyList<BatchLineError> Data)
{
    public string Object => "list";
}
