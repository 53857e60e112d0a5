using System.Net;
using System.Text.Json;

namespace Maas.EndToEnd.Tests;

/// <summary>Asserts a response is the OpenAI error shape {"error": {"message", "type", "param", "code"}} with the given status.</summary>
public static class OpenAiErrorShape
{
    public static async Task<JsonElement> AssertAsync(HttpResponseMessage response, HttpStatusCode status, string? code = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        using var document = JsonDocument.Parse(body);
        var error = document.RootElement.GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _), "error.param is missing");
        Assert.True(error.TryGetProperty("code", out var actualCode), "error.code is missing");
        if (code is not null)
        {
            Assert.Equal(code, actualCode.GetString());
        }

        return error.Clone();
    }
}
