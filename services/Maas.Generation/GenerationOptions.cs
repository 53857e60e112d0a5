using System.ComponentModel.DataAnnotations;

namespace Maas.Generation;

/// <summary>Limits of the generation pipeline (configuration section "Maas:Generation"), validated at start.</summary>
public sealed class GenerationOptions
{
    public const string SectionName = "Maas:Generation";

    /// <summary>
    /// A prompt longer than the model's context times this many characters is refused before it is tokenized or
    /// admitted (400 context_length_exceeded). Real text averages 1-6 characters per token; only long runs of one
    /// character (128 spaces are one DeepSeek token) go beyond, so 16 refuses nothing that could fit in practice
    /// while a megabyte of '&lt;' for a 4k-context model costs one length comparison.
    /// </summary>
    [Range(1, 1024)]
    public int PromptCharactersPerContextToken { get; set; } = 16;

    /// <summary>Prompts tokenized at once in this process; 0 means one per core. Others wait (see <see cref="TokenizationQueueTimeout"/>).</summary>
    [Range(0, 1024)]
    public int TokenizationConcurrency { get; set; }

    /// <summary>Longest wait for a tokenization slot before the request is answered 503 with Retry-After.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan TokenizationQueueTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Deadline of one prompt's tokenization; past it the work stops and the request is answered 503.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan TokenizationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The consumer lease of every sequence the pipeline starts on a replica (renewed every third of it while the
    /// request runs): when this process dies or loses the call, the worker cancels the sequence within this long
    /// instead of computing it to max_tokens.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ReplicaConsumerLease { get; set; } = TimeSpan.FromSeconds(10);
}
