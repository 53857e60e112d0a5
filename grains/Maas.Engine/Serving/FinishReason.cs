namespace Maas.Engine.Serving;

public enum FinishReason
{
    /// <summary>End-of-sequence token or a stop string.</summary>
    Stop,

    /// <summary>max_tokens reached.</summary>
    Length,

    /// <summary>The caller cancelled.</summary>
    Cancelled,

    /// <summary>The context window is full.</summary>
    ContextFull,
}
