using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;

namespace Maas.EndToEnd.Tests;

/// <summary>The official OpenAI .NET client pointed at our gateway; no retries, so every status is seen as sent.</summary>
public static class OpenAiClients
{
    public static OpenAIClient For(PlatformFixture platform, TestTenant tenant) => new(
        new ApiKeyCredential(tenant.Secret),
        new OpenAIClientOptions { Endpoint = platform.GatewayV1, RetryPolicy = new ClientRetryPolicy(maxRetries: 0), NetworkTimeout = TimeSpan.FromMinutes(2) });

    public static HttpClient Http(PlatformFixture platform, TestTenant? tenant)
    {
        var http = new HttpClient { BaseAddress = platform.Gateway.Address, Timeout = TimeSpan.FromMinutes(2) };
        if (tenant is not null)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tenant.Secret);
        }

        return http;
    }
}
