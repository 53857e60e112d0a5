namespace Maas.Grains.Abstractions.Models;

/// <summary>Why a sequence ended.</summary>
[GenerateSerializer, Alias("Maas.GenerationFinish")]
public enum GenerationFinish
{
    /// <summary>End-of-sequence token or a stop string.</summary>
    Stop = 0,

    /// <summary>max_tokens reached.</summary>
    Length = 1,

    Cancelled = 2,

    /// <summary>The model's context window is full (reported to clients as "length").</summary>
    ContextFull = 3,
}
