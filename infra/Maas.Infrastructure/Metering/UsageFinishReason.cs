namespace Maas.Infrastructure.Metering;

/// <summary>How a metered request ended (stored as snake_case text: stop, length, cancelled, context_full, error, rejected).</summary>
public enum UsageFinishReason
{
    /// <summary>End-of-sequence token or a stop string.</summary>
    Stop = 0,

    /// <summary>max_tokens reached.</summary>
    Length = 1,

    /// <summary>The client went away (or the sequence was cancelled); what was produced is metered.</summary>
    Cancelled = 2,

    /// <summary>The model's context window filled up.</summary>
    ContextFull = 3,

    /// <summary>Generation failed midway; what was produced is metered.</summary>
    Error = 4,

    /// <summary>
    /// Refused after admission, before anything was computed: admission runs on a cheap bound before tokenizing, so a
    /// prompt found too long once tokenized (or a tokenizer busy past its wait) ends here, with no tokens.
    /// </summary>
    Rejected = 5,
}
