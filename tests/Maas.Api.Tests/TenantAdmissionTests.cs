using System.Net;
using Maas.Api.Tests.Support;
using Maas.Grains.Abstractions.Tenancy;
using Maas.Testing;

namespace Maas.Api.Tests;

/// <summary>Admission through the tenant grain: allowed models (403), concurrency (429), and the tenant only from signed headers.</summary>
[Collection(ApiCollection.Name)]
public sealed class TenantAdmissionTests(ApiHostFixture api)
{
    private const string ChatForModelA = """{ "model": "model-a", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4 }""";

    [Fact]
    public async Task Model_not_allowed_for_the_tenant_is_403_model_not_allowed()
    {
        using var response = await api.Http.SendAsync(api.Requests.Post("/v1/chat/completions", SeededTenants.B, ChatForModelA));

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.Forbidden, "model_not_allowed", "model");
    }

    [Fact]
    public async Task Completions_for_a_model_not_allowed_is_403()
    {
        using var response = await api.Http.SendAsync(api.Requests.Post("/v1/completions", SeededTenants.A, """{ "model": "model-b", "prompt": "hi" }"""));

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.Forbidden, "model_not_allowed");
    }

    [Fact]
    public async Task Client_cannot_choose_its_tenant_through_the_body_or_unsigned_headers()
    {
        // Signed as tenant B; the body's "user" and extra headers claim tenant A, which may use model-a.
        const string body = """{ "model": "model-a", "messages": [{"role": "user", "content": "hi"}], "user": "tenant-a", "tenant": "tenant-a" }""";
        using var request = api.Requests.Post("/v1/chat/completions", SeededTenants.B, body);
        request.Headers.Add("X-Tenant-Id", SeededTenants.A);
        request.Headers.Add("OpenAI-Organization", SeededTenants.A);

        using var response = await api.Http.SendAsync(request);

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.Forbidden, "model_not_allowed");
    }

    [Fact]
    public async Task Disabled_tenant_is_403()
    {
        using var response = await api.Http.SendAsync(api.Requests.Post("/v1/chat/completions", SeededTenants.Disabled, ChatForModelA));

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.Forbidden, "tenant_disabled");
    }

    [Fact]
    public async Task Unknown_tenant_is_403_and_sees_no_models()
    {
        using var chat = await api.Http.SendAsync(api.Requests.Post("/v1/chat/completions", "tenant-nobody", ChatForModelA));
        using var models = await api.Http.SendAsync(api.Requests.Get("/v1/models", "tenant-nobody"));

        await OpenAiErrorAssert.IsErrorAsync(chat, HttpStatusCode.Forbidden, "tenant_not_found");
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        Assert.Contains("\"data\":[]", await models.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Request_beyond_the_tenants_concurrency_limit_is_429_with_retry_after()
    {
        var tenant = api.Grains.GetGrain<ITenantGrain>(SeededTenants.Single);
        var held = await tenant.AdmitAsync(new AdmissionRequest("held-by-test", "key-1", SeededTenants.ModelA, 16, 2));
        Assert.True(held.Allowed);
        try
        {
            using var response = await api.Http.SendAsync(api.Requests.Post("/v1/chat/completions", SeededTenants.Single, ChatForModelA));

            var error = await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.TooManyRequests, "concurrency_limit_exceeded");
            Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
            Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, "Retry-After must be a positive number of seconds");
            Assert.Equal(1, await tenant.GetActiveRequestsAsync());
        }
        finally
        {
            await tenant.ReleaseAsync("held-by-test", SettledUsage.None);
        }
    }
}
