namespace Maas.Generation.Requests;

/// <summary>OpenAI stream_options.</summary>
public sealed record StreamOptionsBody
{
    public bool? IncludeUsage { get; init; }
}
