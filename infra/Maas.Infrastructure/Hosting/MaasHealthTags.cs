namespace Maas.Infrastructure.Hosting;

/// <summary>Tags that decide which health endpoint runs a check.</summary>
public static class MaasHealthTags
{
    /// <summary>Checks tagged "ready" gate /health/ready (PostgreSQL, Redis, "model loaded", ...).</summary>
    public const string Ready = "ready";
}
