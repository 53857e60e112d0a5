namespace Maas.Plant.Mqtt;

/// <summary>
/// The topic layout of a tenant: <c>maas/{tenant}/requests/{requestId}</c> in, <c>maas/{tenant}/responses/{requestId}</c>
/// out, Sparkplug B under <c>maas/{tenant}/spBv1.0/…</c> (or plain <c>spBv1.0/…</c> from a connection of a tenant with
/// Sparkplug context enabled). A connection may use only its own tenant's prefix.
/// </summary>
public static class PlantTopics
{
    public const string Root = "maas";
    public const int MaxRequestIdLength = 128;

    public static string Prefix(string tenantId) => $"{Root}/{tenantId}/";

    public static string Response(string tenantId, string requestId) => $"{Root}/{tenantId}/responses/{requestId}";

    /// <summary>True when a topic or filter stays inside the tenant's namespace (wildcards only after the prefix).</summary>
    public static bool IsInTenantNamespace(string topicOrFilter, string tenantId) =>
        topicOrFilter.StartsWith(Prefix(tenantId), StringComparison.Ordinal) && topicOrFilter.Length > Prefix(tenantId).Length;

    /// <summary>The request id of <c>maas/{tenant}/requests/{id}</c>, or null for any other topic of the tenant.</summary>
    public static string? RequestId(string topic, string tenantId) => Segment(topic, tenantId, "requests/");

    /// <summary>The request id of <c>maas/{tenant}/responses/{id}</c>, or null.</summary>
    public static string? ResponseRequestId(string topic, string tenantId) => Segment(topic, tenantId, "responses/");

    /// <summary>The "spBv1.0/…" part of a Sparkplug topic of the tenant, or null.</summary>
    public static string? SparkplugPart(string topic, string tenantId)
    {
        if (topic.StartsWith(Sparkplug.SparkplugTopic.Namespace + "/", StringComparison.Ordinal))
        {
            return topic;
        }

        var prefixed = Prefix(tenantId) + Sparkplug.SparkplugTopic.Namespace + "/";
        return topic.StartsWith(prefixed, StringComparison.Ordinal) ? topic[Prefix(tenantId).Length..] : null;
    }

    /// <summary>Letters, digits and "-_.:", 1 to 128 characters: safe as a topic level, a database key and a log value.</summary>
    public static bool IsValidRequestId(string requestId) =>
        requestId.Length is > 0 and <= MaxRequestIdLength && requestId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');

    private static string? Segment(string topic, string tenantId, string kind)
    {
        var prefix = Prefix(tenantId) + kind;
        if (!topic.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = topic[prefix.Length..];
        return rest.Length == 0 || rest.Contains('/') ? null : rest;
    }
}
