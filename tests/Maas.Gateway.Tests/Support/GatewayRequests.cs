using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Maas.Gateway.Tests.Support;

/// <summary>Small request/response conveniences shared by the test classes.</summary>
public static class GatewayRequests
{
    public static HttpRequestMessage Get(string path, string? secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (secret is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        }

        return request;
    }

    public static async Task<EchoedRequest> ReadEchoAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<EchoedRequest>(new JsonSerializerOptions(JsonSerializerDefaults.Web)))!;

    /// <summary>Parses an OpenAI error body, requiring exactly the four fields of the shape.</summary>
    public static async Task<(string Message, string Type, string? Param, string? Code)> ReadErrorAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        if (root.EnumerateObject().Select(p => p.Name).SingleOrDefault() != "error")
        {
            throw new InvalidOperationException("Body is not {\"error\": {...}}: " + root);
        }

        var error = root.GetProperty("error");
        var names = error.EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        if (!names.SequenceEqual(["code", "message", "param", "type"]))
        {
            throw new InvalidOperationException("Unexpected error fields: " + string.Join(",", names));
        }

        return (
            error.GetProperty("message").GetString()!,
            error.GetProperty("type").GetString()!,
            error.GetProperty("param").ValueKind == JsonValueKind.Null ? null : error.GetProperty("param").GetString(),
            error.GetProperty("code").ValueKind == JsonValueKind.Null ? null : error.GetProperty("code").GetString());
    }

    /// <summary>A free loopback TCP port with nothing listening, to point a client at a dead service.</summary>
    public static int UnusedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
