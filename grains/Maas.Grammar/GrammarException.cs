namespace Maas.Grammar;

/// <summary>A schema or tool definition that cannot be compiled; <see cref="Param"/> names the request field at fault and the message the keyword.</summary>
public sealed class GrammarException(string message, string param) : Exception(message)
{
    public string Param { get; } = param;
}
