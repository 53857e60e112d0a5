namespace Maas.Api.Usage;

/// <summary>GET /v1/usage's answer, modelled on OpenAI's organization usage API: a page of time buckets.</summary>
public sealed record UsagePage(IReadOnlyList<UsageTimeBucket> Data)
{
    public string Object => "page";

    public bool HasMore => false;

    public string? NextPage => null;
}
